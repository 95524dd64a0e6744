// The conversation as the page shows it: the person's bubbles, the bot's messages with
// their links and answer buttons, what was chosen, and scrolling a reply into view.

import { withPhones } from "./phones.js?v={{version}}";

// A service's site, or its counted link on this server (/go/<service>, bot/golinks.py).
const SERVICE_LINK = /^(https?:\/\/|\/go\/[a-z0-9_]+$)/i;
const calm = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

export class Conversation {
  // ``log``: the role="log" element; ``page``: the page's words and numbers (``texts``,
  // ``shortNumbers``), read when a bubble is made; ``onPress(button, data)``: a button.
  constructor(log, page, onPress) {
    this.log = log;
    this.page = page;
    this.onPress = onPress;
    this.focusAfterReplace = -1;  // a multiple-choice toggle keeps the keyboard focus
    this.replyStart = null;       // the first bubble of the reply being shown
    this.cardCount = 0;           // service cards shown: each heading its own id
  }

  speaker(label) {
    const span = document.createElement("span");
    span.className = "baken-chat__visually-hidden";
    span.textContent = label + " ";
    return span;
  }

  paragraphs(parent, text) {
    text.split("\n\n").forEach((para) => {
      const p = document.createElement("p");
      p.dir = "auto";  // each paragraph its own direction (not the bubble: its label is Latin)
      withPhones(p, para, this.page.shortNumbers);
      parent.appendChild(p);
    });
  }

  // A reply taller than the screen is shown from its start; otherwise the newest line.
  scrollDown(element) {
    const behavior = calm ? "auto" : "smooth";
    if (element.classList.contains("baken-chat__message--mine")) this.replyStart = null;
    else if (!this.replyStart || !this.replyStart.isConnected) this.replyStart = element;
    const from = this.replyStart || element;
    if (element.getBoundingClientRect().bottom - from.getBoundingClientRect().top > this.log.clientHeight) {
      from.scrollIntoView({ block: "start", behavior: behavior });
    } else {
      element.scrollIntoView({ block: "end", behavior: behavior });
    }
  }

  mine(text, extra) {
    const bubble = document.createElement("div");
    bubble.className = "baken-chat__message baken-chat__message--mine" + (extra ? " " + extra : "");
    bubble.appendChild(this.speaker(this.page.texts.you));
    const p = document.createElement("p");
    p.dir = "auto";
    p.textContent = text;
    bubble.appendChild(p);
    this.log.appendChild(bubble);
    this.scrollDown(bubble);
    return bubble;
  }

  addMine(text) {
    return this.mine(text, "");
  }

  activeQuestion() {
    const all = this.log.querySelectorAll(".baken-chat__message--bot .baken-chat__answers");
    return all.length ? all[all.length - 1].closest(".baken-chat__message") : null;
  }

  dropAnswers(message) {
    if (!message) return;
    const answers = message.querySelector(".baken-chat__answers");
    if (answers) answers.remove();
  }

  enableAnswers() {
    const question = this.activeQuestion();
    if (question) question.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
  }

  // A button was pressed: its question waits for the answer (and keeps the focus's place).
  pressed(button) {
    const message = button.closest(".baken-chat__message");
    const buttons = Array.prototype.slice.call(message.querySelectorAll(".baken-chat__answers button"));
    this.focusAfterReplace = buttons.indexOf(button);
    buttons.forEach(function (b) { b.disabled = true; });
  }

  render(frame) {
    const texts = this.page.texts;
    const bubble = document.createElement("div");
    bubble.className = "baken-chat__message baken-chat__message--bot";
    bubble.appendChild(this.speaker(texts.bot));
    if (frame.copyable) {
      const pre = document.createElement("pre");
      pre.dir = "auto";
      pre.textContent = frame.text;
      bubble.appendChild(pre);
      const copy = document.createElement("button");
      copy.type = "button";
      copy.className = "baken-chat__copy";
      copy.textContent = texts.copy;
      copy.addEventListener("click", () => { this.copyText(frame.text, copy); });
      bubble.appendChild(copy);
    } else if (frame.parts && frame.parts.length) {
      // Service cards: each card apart, the texts around them as bubbles of their own.
      bubble.classList.add("baken-chat__message--cards");
      let say = null;
      frame.parts.forEach((part) => {
        if (part.t === "card") {
          const link = typeof part.link === "number" ? frame.links[part.link] : null;
          bubble.appendChild(this.card(part, link ? link.url : null));
          say = null;
        } else if (part.t === "text" && part.text) {
          if (!say) {
            say = document.createElement("div");
            say.className = "baken-chat__say";
            bubble.appendChild(say);
          }
          this.paragraphs(say, part.text);
        }
      });
    } else {
      this.paragraphs(bubble, frame.text);
    }
    // Links shown on a card are not shown again under the message.
    const onCards = (frame.parts || []).map((part) => part.link).filter((i) => typeof i === "number");
    const links = frame.links.filter((link, i) => onCards.indexOf(i) < 0);
    if (links.length) {
      const list = document.createElement("div");
      list.className = "baken-chat__links";
      links.forEach(function (link) {
        if (!SERVICE_LINK.test(link.url)) return;
        const a = document.createElement("a");
        a.href = link.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.className = "baken-chat__link";
        a.textContent = link.label;
        list.appendChild(a);
      });
      bubble.appendChild(list);
    }
    if (frame.buttons.length) {
      const answers = document.createElement("div");
      answers.className = "baken-chat__answers";
      let submits = 0;
      frame.buttons.forEach((row) => {
        const line = document.createElement("div");
        line.className = "baken-chat__answer-row" + (row.length > 1 ? " baken-chat__answer-row--global" : "");
        row.forEach((button) => {
          const b = document.createElement("button");
          b.type = "button";
          b.textContent = button.label;
          b.dir = "auto";
          // An option of a multiple-choice question: a toggle with a box, empty or ticked.
          if (button.box || button.on) {
            b.setAttribute("aria-pressed", button.on ? "true" : "false");
            b.classList.add("baken-chat__option");
          }
          // "Klaar" (the first button that ends the question) stands apart from the options.
          if (button.submit) {
            b.classList.add("baken-chat__submit");
            if (submits++ === 0) {
              b.classList.add("baken-chat__submit--first");
              line.classList.add("baken-chat__answer-row--submit");
            }
          }
          b.addEventListener("click", () => { this.onPress(b, button.data); });
          line.appendChild(b);
        });
        answers.appendChild(line);
      });
      bubble.appendChild(answers);
    }
    return bubble;
  }

  // One service: its name, what it is, why it fits, open now or not, and large buttons
  // to call it and to open its chat (or website). Right to left in a right-to-left language.
  card(part, url) {
    const texts = this.page.texts;
    const card = document.createElement("section");
    card.className = "baken-chat__card";
    card.dir = texts.dir === "rtl" ? "rtl" : "ltr";
    const heading = document.createElement("h2");
    heading.id = "card-" + (++this.cardCount);
    heading.textContent = part.name;
    card.setAttribute("aria-labelledby", heading.id);
    card.appendChild(heading);
    const line = (text, className) => {
      if (!text) return null;
      const p = document.createElement("p");
      if (className) p.className = className;
      withPhones(p, text, this.page.shortNumbers);
      card.appendChild(p);
      return p;
    };
    line(part.purpose, "");
    line(part.why, "baken-chat__why");
    const state = part.open === true ? "open" : part.open === false ? "closed" : "unknown";
    line(part.status, "baken-chat__hours baken-chat__hours--" + state);
    (part.details || []).forEach((detail) => line(detail, "baken-chat__detail"));
    const actions = document.createElement("div");
    actions.className = "baken-chat__actions";
    if (part.tel) {
      const call = document.createElement("a");
      call.href = "tel:" + part.tel;
      call.className = "baken-chat__call";
      const label = document.createElement("span");  // one flex item: the words wrap as text
      label.appendChild(document.createTextNode((part.free ? texts.call_free : texts.call) + " "));
      const number = document.createElement("span");
      number.className = "baken-chat__number";
      number.dir = "ltr";  // a number reads left to right, also inside Arabic
      number.textContent = part.phone;
      label.appendChild(number);
      call.appendChild(label);
      actions.appendChild(call);
    }
    if (url && SERVICE_LINK.test(url)) {
      const open = document.createElement("a");
      open.href = url;
      open.target = "_blank";
      open.rel = "noopener noreferrer";
      open.className = "baken-chat__open";
      open.textContent = part.chat ? texts.chat : texts.site;
      // Screen readers hear whose chat it is, also in a list of links.
      const whose = document.createElement("span");
      whose.className = "baken-chat__visually-hidden";
      whose.textContent = ": " + part.name;
      open.appendChild(whose);
      actions.appendChild(open);
    }
    if (actions.childNodes.length) card.appendChild(actions);
    return card;
  }

  showMessage(frame) {
    const bubble = this.render(frame);
    const previous = this.activeQuestion();
    if (frame.replaces && previous) {
      previous.replaceWith(bubble);
      const buttons = bubble.querySelectorAll(".baken-chat__answers button");
      if (this.focusAfterReplace >= 0 && buttons[this.focusAfterReplace]) buttons[this.focusAfterReplace].focus();
    } else {
      if (frame.buttons.length) this.dropAnswers(previous);
      this.log.appendChild(bubble);
      this.scrollDown(bubble);
      // Keyboard users go on from the new question when their button has gone.
      const focused = document.activeElement;
      const first = bubble.querySelector(".baken-chat__answers button");
      if (first && (!focused || focused === document.body || focused.disabled || !focused.isConnected)) {
        first.focus({ preventScroll: true });
      }
    }
    this.focusAfterReplace = -1;
  }

  showChosen(labels) {
    this.dropAnswers(this.activeQuestion());
    this.mine(labels.join("\n"), "baken-chat__message--chosen");
  }

  copyText(text, button) {
    const texts = this.page.texts;
    function done() {
      button.textContent = texts.copied;
      setTimeout(function () { button.textContent = texts.copy; }, 2000);
    }
    function fallback() {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "baken-chat__visually-hidden";
      document.body.appendChild(area);
      area.select();
      try { if (document.execCommand("copy")) done(); } catch (e) { /* nothing more to try */ }
      area.remove();
      button.focus();
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  // Everything of the conversation goes; the notes above it stay.
  clear() {
    Array.prototype.slice.call(this.log.children).forEach(function (child) {
      if (child.id !== "exit-info" && child.id !== "intro") child.remove();
    });
  }
}
