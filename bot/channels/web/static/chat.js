// The web chat page of baken: plain JavaScript modules, no framework, no build step, nothing
// from another host. This module wires the parts: the socket and its protocol (socket.js),
// the conversation on the page (render.js), phone links (phones.js), quick exit (exit.js).
//
// Nothing is stored but the conversation token in sessionStorage (see socket.js); messages
// live in the page only, and no cookie is ever set.

import { installQuickExit } from "./exit.js?v={{version}}";
import { withPhones } from "./phones.js?v={{version}}";
import { Conversation } from "./render.js?v={{version}}";
import { ChatSocket } from "./socket.js?v={{version}}";

const config = JSON.parse(document.getElementById("config").textContent);
// What the page says, in the conversation's language, and the short numbers to call.
const page = { texts: config.texts, shortNumbers: config.short_numbers || [] };

const log = document.getElementById("log");
const intro = document.getElementById("intro");
const statusLine = document.getElementById("status");
const form = document.getElementById("compose");
const input = document.getElementById("text");
const exitLink = document.getElementById("exit");
let offlineShown = false;

// ---------------------------------------------------------------- the page's words

function applyTexts(lang) {
  const texts = page.texts;
  if (lang) document.documentElement.lang = lang;
  document.documentElement.dir = texts.dir === "rtl" ? "rtl" : "ltr";
  document.title = texts.title;
  exitLink.textContent = texts.exit;
  document.getElementById("exit-info").textContent = texts.exit_info;
  document.getElementById("intro-text").textContent = texts.intro;
  document.getElementById("languages-label").textContent = texts.languages;
  intro.querySelectorAll(".baken-chat__languages a").forEach(function (a) {
    if (a.lang === lang) a.setAttribute("aria-current", "page");
    else if (lang) a.removeAttribute("aria-current");
  });
  document.getElementById("begin").textContent = texts.start;
  document.getElementById("text-label").textContent = texts.input;
  document.getElementById("send").textContent = texts.send;
}

function say(text) {
  offlineShown = text === page.texts.offline;
  statusLine.textContent = "";
  if (text) {
    withPhones(statusLine, text, page.shortNumbers);
    statusLine.hidden = false;
  } else {
    statusLine.hidden = true;
  }
}

function showIntro(visible) {
  intro.hidden = !visible;
}

// ---------------------------------------------------------------- frames from the server

function numbered(frame) {
  switch (frame.t) {
    case "ui":
      page.texts = frame.texts;
      applyTexts(frame.lang);
      break;
    case "msg":
      say("");
      conversation.showMessage(frame);
      break;
    case "chosen":
      conversation.showChosen(frame.labels);
      break;
    case "stale":
      conversation.dropAnswers(conversation.activeQuestion());
      break;
    case "erased":
      socket.erased();
      conversation.clear();
      showIntro(true);
      say(frame.text);
      break;
    default:
      break;
  }
}

function refused(action, code) {
  if (action && action.t === "text") {
    if (action.bubble) action.bubble.remove();
    if (!input.value) input.value = action.text;
  }
  if (action && action.t === "press") conversation.enableAnswers();
  say(code === "too_fast" ? page.texts.too_fast : page.texts.error);
}

const socket = new ChatSocket(() => document.documentElement.lang, {
  numbered: numbered,
  refused: refused,
  busy: () => say(page.texts.offline),
  offline: () => say(page.texts.offline),
  online: () => { if (offlineShown) say(""); },
  takenOver: () => { conversation.clear(); showIntro(true); },
  reload: (frame) => {
    page.texts = frame.texts;
    applyTexts(frame.lang);
    if (socket.token) {
      conversation.clear();
      act({ t: "start", payload: null, lang: frame.lang });
    }
  },
});

const conversation = new Conversation(log, page, function (button, data) {
  conversation.pressed(button);
  act({ t: "press", data: data });
});

// ---------------------------------------------------------------- what the person does

function act(frame) {
  const sent = socket.act(frame);
  if (sent) showIntro(false);
  return sent;
}

function begin() {
  const code = new URLSearchParams(location.search).get("start");
  act({
    t: "start",
    payload: code || null,
    lang: document.documentElement.lang,
    suggest: config.suggest || null,  // the browser's language: offered, never switched to
  });
}

function submit(event) {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  const frame = act({ t: "text", text: text });
  if (frame) frame.bubble = conversation.addMine(text);
}

// ---------------------------------------------------------------- start

installQuickExit(exitLink, config.exit, socket);
document.getElementById("begin").addEventListener("click", begin);
form.addEventListener("submit", submit);
input.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && !event.isComposing && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

applyTexts(config.lang);
form.hidden = false;
showIntro(!socket.token);
socket.connect();
