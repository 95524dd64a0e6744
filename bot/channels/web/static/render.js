// The conversation as the page shows it: the person's bubbles, the bot's messages with
// their links and answer buttons, what was chosen, and scrolling a reply into view.

import { withPhones } from "./phones.js?v={{version}}";

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
    } else {
      this.paragraphs(bubble, frame.text);
    }
    if (frame.links.length) {
      const links = document.createElement("div");
      links.className = "baken-chat__links";
      frame.links.forEach(function (link) {
        // A service's site, or its counted link on this server (/go/<service>).
        if (!/^(https?:\/\/|\/go\/[a-z0-9_]+$)/i.test(link.url)) return;
        const a = document.createElement("a");
        a.href = link.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.className = "baken-chat__link";
        a.textContent = link.label;
        links.appendChild(a);
      });
      bubble.appendChild(links);
    }
    if (frame.buttons.length) {
      const answers = document.createElement("div");
      answers.className = "baken-chat__answers";
      frame.buttons.forEach((row) => {
        const line = document.createElement("div");
        line.className = "baken-chat__answer-row" + (row.length > 1 ? " baken-chat__answer-row--global" : "");
        row.forEach((button) => {
          const b = document.createElement("button");
          b.type = "button";
          b.textContent = button.label;
          b.dir = "auto";
          // A ticked option of a multiple-choice question. (Which other buttons are options
          // and which end the question, the page cannot tell: only ticks are marked.)
          if (button.on) b.setAttribute("aria-pressed", "true");
          b.addEventListener("click", () => { this.onPress(b, button.data); });
          line.appendChild(b);
        });
        answers.appendChild(line);
      });
      bubble.appendChild(answers);
    }
    return bubble;
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
