"""The handoff: the services that fit, each as a card, and the summary to copy.

Which services: those of the state's handoff list whose conditions hold, after a crisis
screen the crisis service first. A card says what the service is, why it fits, whether it is
open now (or when it opens), how to reach it and which languages it speaks. The summary is
made of the chosen options' sentences only; in another language, with the Dutch under it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.compiled import (
    CRISIS,
    CompiledFlow,
    option_of,
)
from flows.content import DEFAULT_LANG
from flows.events import (
    Card,
    Handoff,
    Message,
    Output,
)
from flows.hours import is_open, local, next_opening
from flows.machine import holds
from flows.schema import HandoffSpec, Service, ServiceRef
from flows.session import Session
from flows.texts import DAYS
from flows.wording import Wording


class Handoffs(Wording):
    """Cards and the summary; mixed into :class:`~flows.engine.Engine`."""

    if TYPE_CHECKING:  # provided by the Engine this is mixed into

        def _flow(self, session: Session) -> CompiledFlow: ...

    def _handoff(self, session: Session, spec: HandoffSpec, at: int) -> list[Output]:
        lang = session.lang
        refs: list[ServiceRef] = []
        facts = session.facts()
        for ref in spec.refs():
            if holds(ref.when, facts) and all(r.id != ref.id for r in refs):
                refs.append(ref)
        flow = self._flow(session).flow
        first: list[ServiceRef] = []
        for kind in session.answer(CRISIS):  # after a crisis screen: its number first
            service = flow.crisis_services.get(kind)  # type: ignore[call-overload]
            if service in self.content.services and all(r.id != service for r in first):
                first.append(ServiceRef(id=service, why=f"why.after_crisis.{kind}"))
        refs = [*first, *(r for r in refs if all(f.id != r.id for f in first))][: spec.max]
        outputs: list[Output] = [
            self._card(lang, self.content.services[ref.id], ref.why, at) for ref in refs
        ]
        shown = [self.content.services[ref.id] for ref in refs]
        if shown and lang != DEFAULT_LANG and not any(lang in s.languages for s in shown):
            outputs.append(self._say(lang, "service.other_language"))
        summary = self._summary(session) if spec.summary else ""
        if summary and lang != DEFAULT_LANG:
            # The services read Dutch: the same sentences in Dutch under the person's own.
            dutch = self._summary(session, DEFAULT_LANG)
            summary = f"{summary}\n\n{self._text(lang, 'system.summary_dutch')}\n{dutch}"
        outputs.append(Handoff(tuple(r.id for r in refs), summary, session.state))
        if summary:
            outputs.append(self._say(lang, "system.summary_intro"))
            outputs.append(Message(summary, copyable=True))
        return outputs

    def _card(self, lang: str, service: Service, why: str | None, at: int) -> Message:
        """One service: name, purpose, why it fits, open now or when, phone, e-mail,
        languages, and its web link as a button; as text and as a :class:`Card`."""
        name = self._name(lang, service)
        purpose = self._in_language(lang, service.purpose)
        reason = self._text(lang, why) if why else ""
        status = self._status(lang, service, at)
        phone_line = ""
        if service.phone:
            key = "service.phone_free" if service.phone_free else "service.phone"
            phone_line = self._text(lang, key).replace("{phone}", self._ltr(lang, service.phone))
        details: list[str] = []
        if service.email:
            email = self._ltr(lang, service.email)
            details.append(self._text(lang, "service.email").replace("{email}", email))
        if service.languages:
            names = ", ".join(self._language_name(code) for code in service.languages)
            details.append(self._text(lang, "service.languages").replace("{languages}", names))
        if service.interpreter and lang != DEFAULT_LANG:  # a Dutch reader needs none
            details.append(self._text(lang, "service.interpreter"))
        link = self._link(lang, service)
        card = Card(
            service=service.id,
            name=name,
            purpose=purpose,
            why=reason,
            status=status,
            open=self._open(service, at),
            phone=service.phone or "",
            free=bool(service.phone_free),
            phone_line=phone_line,
            link=link,
            chat=link is not None and link.url == service.chat_url,
            details=tuple(details),
        )
        lines = [name, purpose, reason, status, phone_line, *details]
        return Message(
            "\n".join(line for line in lines if line),
            links=(link,) if link else (),
            parts=(card,),
        )

    @staticmethod
    def _open(service: Service, at: int) -> bool | None:
        """Open now (True), closed (False), or not known or not applicable (None)."""
        hours = service.hours
        if hours is None or not service.hours_verified or not _reachable(service):
            return None
        return is_open(hours, at)

    def _status(self, lang: str, service: Service, at: int) -> str:
        if not _reachable(service):
            return ""  # only a website: it is always there, "open day and night" says nothing
        hours = service.hours
        if hours is None or not service.hours_verified:
            # "See the website for opening hours" only makes sense when there is one.
            has_site = service.url or service.chat_url or service.report_url
            return self._text(lang, "service.hours_unknown") if has_site else ""
        if hours.always:
            return self._text(lang, "service.always_open")
        if is_open(hours, at):
            return self._text(lang, "service.open_now")
        opens = next_opening(hours, at)
        if opens is None:
            return self._text(lang, "service.hours_unknown")
        today = local(at).date()
        days = (opens.date() - today).days
        if days == 0:
            day = self._text(lang, "day.today")
        elif days == 1:
            day = self._text(lang, "day.tomorrow")
        else:
            day = self._text(lang, f"day.{DAYS[opens.weekday()]}")
        when = f"{day} {opens:%H:%M}"
        return self._text(lang, "service.closed_now").replace("{when}", when)

    def _summary(self, session: Session, lang: str | None = None) -> str:
        """Sentences from the chosen options, in flow order, in ``lang`` (default: the
        conversation's). Nothing the person typed."""
        lang = lang or session.lang
        flow = self._flow(session).flow
        sentences = []
        for name, state in flow.states.items():
            for option_id in session.answer(name):
                option = option_of(state, option_id)
                if option is not None and option.summary:
                    sentences.append(self._text(lang, option.summary))
        return " ".join(sentences)


def _reachable(service: Service) -> bool:
    """A service a person can call, chat with or write to (not only a website to read)."""
    return bool(service.phone or service.chat_url or service.email)
