// The web chat page of baken: plain JavaScript, no framework, no build step, nothing from
// another host. The frames it speaks are described in bot/channels/web/channel/protocol.py.
//
// What this page keeps: the conversation token in sessionStorage (made when the person
// first does something; gone when the tab closes, on quick exit and on erase). Nothing
// else is stored: messages live in the page only, and no cookie is ever set.
"use strict";

(function () {
  const PROTOCOL = 1;
  const STORE = "baken";  // the sessionStorage key of the token
  const config = JSON.parse(document.getElementById("config").textContent);
  let texts = config.texts;

  const log = document.getElementById("log");
  const intro = document.getElementById("intro");
  const statusLine = document.getElementById("status");
  const form = document.getElementById("compose");
  const input = document.getElementById("text");
  const exitLink = document.getElementById("exit");

  // ---------------------------------------------------------------- state

  let token = readToken();      // null until the person starts
  let have = 0;                 // the last numbered frame shown
  let ws = null;
  let helloToken;               // the token the current socket was told (undefined: none yet)
  let retries = 0;
  let offlineTimer = null;
  let ackTimer = null;
  let offlineShown = false;
  let gone = false;             // quick exit: no reconnects, nothing more
  const pending = [];           // actions not yet confirmed ("got"): sent again after a reconnect
  const page = randomId(6);     // this page load's part of every action id
  let counter = 0;
  let focusAfterReplace = -1;   // a multiple-choice toggle keeps the keyboard focus

  function readToken() {
    try { return sessionStorage.getItem(STORE); } catch (e) { return null; }
  }

  function randomId(bytes) {
    const raw = new Uint8Array(bytes);
    crypto.getRandomValues(raw);
    let text = "";
    raw.forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // ---------------------------------------------------------------- phone numbers

  // Dutch phone numbers in a text, so a tap calls them: 112, 113, 0800-0113, 0800 5151,
  // 0900-8844, 088-1234567, 033 448 11 86, +31 70 333 44 44. Returns [text, tel or null]
  // parts. Not a number: ages ("16 of 17"), times, years, 113.nl.
  const DIGITS = /\+?\d(?:[\d -]*\d)?/g;

  function telOf(found) {
    const digits = found.replace(/[^\d]/g, "");
    if (found.charAt(0) === "+") {
      return digits.indexOf("31") === 0 && digits.length === 11 ? "+" + digits : null;
    }
    if (digits === "112" || digits === "113") return found === digits ? digits : null;
    if (/^0[89]0[09]/.test(digits)) return digits.length >= 8 && digits.length <= 11 ? digits : null;
    return digits.charAt(0) === "0" && digits.length === 10 ? digits : null;
  }

  function phoneParts(text) {
    const parts = [];
    let last = 0;
    DIGITS.lastIndex = 0;
    let match;
    while ((match = DIGITS.exec(text)) !== null) {
      const found = match[0].trim();
      const start = match.index;
      const end = start + match[0].length;
      const before = text.charAt(start - 1);
      const after = text.slice(end, end + 2);
      const glued = /[\w.\/+@-]/.test(before) || /^[\w@]/.test(after) || /^[.,:-]\w/.test(after);
      const tel = glued ? null : telOf(found);
      if (tel) {
        if (start > last) parts.push([text.slice(last, start), null]);
        parts.push([found, tel]);
        last = end;
      }
    }
    if (last < text.length) parts.push([text.slice(last), null]);
    return parts;
  }

  window.bakenPhoneParts = phoneParts;  // for the tests of the page

  function withPhones(parent, text) {
    phoneParts(text).forEach(function (part) {
      if (part[1] === null) {
        parent.appendChild(document.createTextNode(part[0]));
      } else {
        const a = document.createElement("a");
        a.href = "tel:" + part[1];
        a.className = "tel";
        a.dir = "ltr";  // a number reads left to right, isolated, also inside Arabic
        a.textContent = part[0];
        parent.appendChild(a);
      }
    });
  }

  // ---------------------------------------------------------------- the page's words

  function applyTexts(lang) {
    if (lang) document.documentElement.lang = lang;
    document.documentElement.dir = texts.dir === "rtl" ? "rtl" : "ltr";
    document.title = texts.title;
    exitLink.textContent = texts.exit;
    document.getElementById("exit-info").textContent = texts.exit_info;
    intro.querySelector("p").textContent = texts.intro;
    document.getElementById("begin").textContent = texts.start;
    document.getElementById("text-label").textContent = texts.input;
    document.getElementById("send").textContent = texts.send;
  }

  function say(text) {
    offlineShown = text === texts.offline;
    statusLine.textContent = "";
    if (text) {
      withPhones(statusLine, text);
      statusLine.hidden = false;
    } else {
      statusLine.hidden = true;
    }
  }

  // ---------------------------------------------------------------- the conversation on the page

  function speaker(label) {
    const span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = label + " ";
    return span;
  }

  function paragraphs(parent, text) {
    text.split("\n\n").forEach(function (para) {
      const p = document.createElement("p");
      p.dir = "auto";  // each paragraph its own direction (not the bubble: its label is Latin)
      withPhones(p, para);
      parent.appendChild(p);
    });
  }

  // A reply taller than the screen is shown from its start; otherwise the newest line.
  let replyStart = null;  // the first bubble of the reply being shown
  const calm = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function scrollDown(element) {
    const behavior = calm ? "auto" : "smooth";
    if (element.classList.contains("mine")) replyStart = null;
    else if (!replyStart || !replyStart.isConnected) replyStart = element;
    const top = (replyStart || element).getBoundingClientRect().top;
    if (element.getBoundingClientRect().bottom - top > log.clientHeight) {
      (replyStart || element).scrollIntoView({ block: "start", behavior: behavior });
    } else {
      element.scrollIntoView({ block: "end", behavior: behavior });
    }
  }

  function addMine(text) {
    const bubble = document.createElement("div");
    bubble.className = "msg mine";
    bubble.appendChild(speaker(texts.you));
    const p = document.createElement("p");
    p.dir = "auto";
    p.textContent = text;
    bubble.appendChild(p);
    log.appendChild(bubble);
    scrollDown(bubble);
    return bubble;
  }

  function activeQuestion() {
    const all = log.querySelectorAll(".msg.bot .answers");
    return all.length ? all[all.length - 1].closest(".msg") : null;
  }

  function dropAnswers(message) {
    if (!message) return;
    const answers = message.querySelector(".answers");
    if (answers) answers.remove();
  }

  function renderMessage(frame) {
    const bubble = document.createElement("div");
    bubble.className = "msg bot";
    bubble.appendChild(speaker(texts.bot));
    if (frame.copyable) {
      const pre = document.createElement("pre");
      pre.dir = "auto";
      pre.textContent = frame.text;
      bubble.appendChild(pre);
      const copy = document.createElement("button");
      copy.type = "button";
      copy.className = "copy";
      copy.textContent = texts.copy;
      copy.addEventListener("click", function () { copyText(frame.text, copy); });
      bubble.appendChild(copy);
    } else {
      paragraphs(bubble, frame.text);
    }
    if (frame.links.length) {
      const links = document.createElement("div");
      links.className = "links";
      frame.links.forEach(function (link) {
        if (!/^https?:\/\//i.test(link.url)) return;
        const a = document.createElement("a");
        a.href = link.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.className = "link";
        a.textContent = link.label;
        links.appendChild(a);
      });
      bubble.appendChild(links);
    }
    if (frame.buttons.length) {
      const answers = document.createElement("div");
      answers.className = "answers";
      frame.buttons.forEach(function (row) {
        const line = document.createElement("div");
        line.className = row.length > 1 ? "row global" : "row";
        row.forEach(function (button) {
          const b = document.createElement("button");
          b.type = "button";
          b.textContent = button.label;
          b.dir = "auto";
          // A ticked option of a multiple-choice question. (Which other buttons are options
          // and which end the question, the page cannot tell: only ticks are marked.)
          if (button.on) b.setAttribute("aria-pressed", "true");
          b.addEventListener("click", function () { press(b, button.data); });
          line.appendChild(b);
        });
        answers.appendChild(line);
      });
      bubble.appendChild(answers);
    }
    return bubble;
  }

  function showMessage(frame) {
    const bubble = renderMessage(frame);
    const previous = activeQuestion();
    if (frame.replaces && previous) {
      previous.replaceWith(bubble);
      const buttons = bubble.querySelectorAll(".answers button");
      if (focusAfterReplace >= 0 && buttons[focusAfterReplace]) buttons[focusAfterReplace].focus();
    } else {
      if (frame.buttons.length) dropAnswers(previous);
      log.appendChild(bubble);
      scrollDown(bubble);
      // Keyboard users go on from the new question when their button has gone.
      const focused = document.activeElement;
      const first = bubble.querySelector(".answers button");
      if (first && (!focused || focused === document.body || focused.disabled || !focused.isConnected)) {
        first.focus({ preventScroll: true });
      }
    }
    focusAfterReplace = -1;
  }

  function showChosen(labels) {
    dropAnswers(activeQuestion());
    const bubble = document.createElement("div");
    bubble.className = "msg mine chosen";
    bubble.appendChild(speaker(texts.you));
    const p = document.createElement("p");
    p.dir = "auto";
    p.textContent = labels.join("\n");
    bubble.appendChild(p);
    log.appendChild(bubble);
    scrollDown(bubble);
  }

  function copyText(text, button) {
    function done() {
      button.textContent = texts.copied;
      setTimeout(function () { button.textContent = texts.copy; }, 2000);
    }
    function fallback() {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
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

  function clearConversation() {
    Array.prototype.slice.call(log.children).forEach(function (child) {
      if (child.id !== "exit-info" && child.id !== "intro") child.remove();
    });
  }

  function forgetToken() {
    token = null;
    try { sessionStorage.removeItem(STORE); } catch (e) { /* private mode */ }
  }

  function showIntro(visible) {
    intro.hidden = !visible;
  }

  // ---------------------------------------------------------------- actions

  function act(frame) {
    if (gone) return null;
    if (!token) {
      token = randomId(18);  // 144 bits
      try { sessionStorage.setItem(STORE, token); } catch (e) { /* kept in this page only */ }
      have = 0;
    }
    showIntro(false);
    frame.v = PROTOCOL;
    frame.id = page + "." + (++counter);
    pending.push(frame);
    if (ws && ws.readyState === WebSocket.OPEN) {
      hello();
      send(frame);
    }
    return frame;
  }

  function press(button, data) {
    const message = button.closest(".msg");
    const buttons = Array.prototype.slice.call(message.querySelectorAll(".answers button"));
    focusAfterReplace = buttons.indexOf(button);
    buttons.forEach(function (b) { b.disabled = true; });
    act({ t: "press", data: data });
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
    if (frame) frame.bubble = addMine(text);
  }

  // ---------------------------------------------------------------- the socket

  function send(frame) {
    const out = {};
    Object.keys(frame).forEach(function (k) { if (k !== "bubble") out[k] = frame[k]; });
    ws.send(JSON.stringify(out));
  }

  function hello() {
    if (helloToken === token) return;
    helloToken = token;
    ws.send(JSON.stringify({
      v: PROTOCOL, t: "hello", token: token, have: token ? have : null,
      lang: document.documentElement.lang,
    }));
  }

  function connect() {
    if (gone) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws");
    ws = socket;
    helloToken = undefined;
    socket.onopen = function () {
      if (ws !== socket) return;
      retries = 0;
      hello();
      pending.forEach(send);
    };
    socket.onmessage = function (event) {
      if (ws !== socket) return;
      try {
        receive(JSON.parse(event.data));
      } catch (e) {
        say(texts.error);  // never a silent, stuck page
      }
    };
    socket.onclose = function (event) {
      if (ws !== socket || gone) return;
      ws = null;
      if (event.code === 4001) {  // the conversation went on in another tab
        pending.length = 0;
        forgetToken();
        clearConversation();
        showIntro(true);
      }
      if (!offlineTimer) {
        offlineTimer = setTimeout(function () { say(texts.offline); }, pending.length ? 0 : 2000);
      }
      const wait = Math.min(10000, 500 * Math.pow(2, retries++)) * (0.75 + Math.random() / 2);
      setTimeout(connect, event.code === 1013 ? Math.max(wait, 3000) : wait);
    };
  }

  function online() {
    if (offlineTimer) { clearTimeout(offlineTimer); offlineTimer = null; }
    if (offlineShown) say("");
  }

  function sendAck() {
    if (ackTimer) { clearTimeout(ackTimer); ackTimer = null; }
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ v: PROTOCOL, t: "ack", n: have }));
    }
  }

  function scheduleAck() {
    if (!ackTimer) ackTimer = setTimeout(sendAck, 100);
  }

  function settled(id) {
    for (let i = 0; i < pending.length; i++) {
      if (pending[i].id === id) return pending.splice(i, 1)[0];
    }
    return null;
  }

  function receive(frame) {
    if (typeof frame.n === "number") {
      if (frame.n <= have) return;  // already shown (sent again after a reconnect)
      have = frame.n;
      numbered(frame);
      if (token) scheduleAck();
      return;
    }
    switch (frame.t) {
      case "ready":
        online();
        if (frame.next !== null) have = frame.next - 1;
        break;
      case "got":
        settled(frame.id);
        break;
      case "error": {
        const refused = frame.id ? settled(frame.id) : null;
        if (refused && refused.t === "text") {
          if (refused.bubble) refused.bubble.remove();
          if (!input.value) input.value = refused.text;
        }
        if (refused && refused.t === "press") {
          const question = activeQuestion();
          if (question) question.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        }
        say(frame.code === "too_fast" ? texts.too_fast : texts.error);
        break;
      }
      case "busy":
        say(texts.offline);
        break;
      case "reload":
        texts = frame.texts;
        applyTexts(frame.lang);
        if (token) {
          clearConversation();
          act({ t: "start", payload: null, lang: frame.lang });
        }
        break;
      default:
        break;  // a newer server's frame: nothing to do
    }
  }

  function numbered(frame) {
    switch (frame.t) {
      case "ui":
        texts = frame.texts;
        applyTexts(frame.lang);
        break;
      case "msg":
        say("");
        showMessage(frame);
        break;
      case "chosen":
        showChosen(frame.labels);
        break;
      case "stale":
        dropAnswers(activeQuestion());
        break;
      case "erased":
        sendAck();  // now, while the socket still belongs to the erased conversation
        pending.length = 0;
        forgetToken();
        clearConversation();
        helloToken = undefined;
        showIntro(true);
        say(frame.text);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- quick exit

  function quickExit(event) {
    if (event) event.preventDefault();
    if (gone) return;
    gone = true;
    // First the screen: nothing of the conversation stays visible, even for a moment.
    document.body.replaceChildren();
    document.title = "";
    try { sessionStorage.clear(); } catch (e) { /* nothing stored */ }
    if (ws && ws.readyState === WebSocket.OPEN && token) {
      try {
        ws.send(JSON.stringify({ v: PROTOCOL, t: "exit", id: page + "." + (++counter) }));
        ws.close(4000);
      } catch (e) { /* the server erases on the close too */ }
    }
    try {
      if (window.top !== window) window.top.location.replace(config.exit);
    } catch (e) { /* another site's frame: leave this one */ }
    location.replace(config.exit);
  }

  // ---------------------------------------------------------------- start

  exitLink.addEventListener("click", quickExit);
  exitLink.addEventListener("keydown", function (event) {
    if (event.key === " ") quickExit(event);  // role="button": Space works as for a button
  });
  document.addEventListener("keydown", function (event) {
    if ((event.key === "Escape" || event.key === "Esc") && !event.isComposing) quickExit(event);
  });
  document.getElementById("begin").addEventListener("click", begin);
  form.addEventListener("submit", submit);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  applyTexts(config.lang);
  form.hidden = false;
  showIntro(!token);
  if (token) have = null;  // a reload: the page shows nothing of the conversation yet
  connect();
})();
