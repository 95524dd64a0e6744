// The WebSocket and its protocol (bot/channels/web/channel/protocol.py): hello, actions
// with ids sent again until confirmed, acknowledgements of numbered frames, reconnects.
//
// What it keeps: the conversation token in sessionStorage (made when the person first
// does something; gone when the tab closes, on quick exit and on erase). Nothing else.

const PROTOCOL = 1;
const STORE = "baken";  // the sessionStorage key of the token

function readToken() {
  try { return sessionStorage.getItem(STORE); } catch (e) { return null; }
}

export function randomId(bytes) {
  const raw = new Uint8Array(bytes);
  crypto.getRandomValues(raw);
  let text = "";
  raw.forEach(function (b) { text += String.fromCharCode(b); });
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export class ChatSocket {
  // ``on``: what the page does with the server's frames: numbered(frame), ready(),
  // refused(action or null, code), busy(), reload(frame), offline(), online(), takenOver().
  constructor(lang, on) {
    this.lang = lang;             // () => the page's language now
    this.on = on;
    this.token = readToken();     // null until the person starts
    this.have = 0;                // the last numbered frame shown
    this.ws = null;
    this.helloToken = undefined;  // the token the current socket was told (undefined: none yet)
    this.retries = 0;
    this.offlineTimer = null;
    this.ackTimer = null;
    this.gone = false;            // quick exit: no reconnects, nothing more
    this.pending = [];            // actions not yet confirmed ("got"): sent again after a reconnect
    this.page = randomId(6);      // this page load's part of every action id
    this.counter = 0;
    if (this.token) this.have = null;  // a reload: the page shows nothing of the conversation yet
  }

  forgetToken() {
    this.token = null;
    try { sessionStorage.removeItem(STORE); } catch (e) { /* private mode */ }
  }

  // Send an action (made the conversation's token first, if there is none yet).
  act(frame) {
    if (this.gone) return null;
    if (!this.token) {
      this.token = randomId(18);  // 144 bits
      try { sessionStorage.setItem(STORE, this.token); } catch (e) { /* kept in this page only */ }
      this.have = 0;
    }
    frame.v = PROTOCOL;
    frame.id = this.page + "." + (++this.counter);
    this.pending.push(frame);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.hello();
      this.send(frame);
    }
    return frame;
  }

  send(frame) {
    const out = {};
    Object.keys(frame).forEach(function (k) { if (k !== "bubble") out[k] = frame[k]; });
    this.ws.send(JSON.stringify(out));
  }

  hello() {
    if (this.helloToken === this.token) return;
    this.helloToken = this.token;
    this.ws.send(JSON.stringify({
      v: PROTOCOL, t: "hello", token: this.token, have: this.token ? this.have : null,
      lang: this.lang(),
    }));
  }

  connect() {
    if (this.gone) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws");
    this.ws = socket;
    this.helloToken = undefined;
    socket.onopen = () => {
      if (this.ws !== socket) return;
      this.retries = 0;
      this.hello();
      this.pending.forEach((frame) => this.send(frame));
    };
    socket.onmessage = (event) => {
      if (this.ws !== socket) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        this.on.refused(null, "error");  // never a silent, stuck page
        return;
      }
      try {
        this.receive(frame);
      } catch (e) {
        this.on.refused(null, "error");
      }
    };
    socket.onclose = (event) => {
      if (this.ws !== socket || this.gone) return;
      this.ws = null;
      if (event.code === 4001) {  // the conversation went on in another tab
        this.pending.length = 0;
        this.forgetToken();
        this.on.takenOver();
      }
      if (!this.offlineTimer) {
        this.offlineTimer = setTimeout(() => this.on.offline(), this.pending.length ? 0 : 2000);
      }
      const wait = Math.min(10000, 500 * Math.pow(2, this.retries++)) * (0.75 + Math.random() / 2);
      setTimeout(() => this.connect(), event.code === 1013 ? Math.max(wait, 3000) : wait);
    };
  }

  online() {
    if (this.offlineTimer) { clearTimeout(this.offlineTimer); this.offlineTimer = null; }
    this.on.online();
  }

  sendAck() {
    if (this.ackTimer) { clearTimeout(this.ackTimer); this.ackTimer = null; }
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ v: PROTOCOL, t: "ack", n: this.have }));
    }
  }

  scheduleAck() {
    if (!this.ackTimer) this.ackTimer = setTimeout(() => this.sendAck(), 100);
  }

  settled(id) {
    for (let i = 0; i < this.pending.length; i++) {
      if (this.pending[i].id === id) return this.pending.splice(i, 1)[0];
    }
    return null;
  }

  receive(frame) {
    if (typeof frame.n === "number") {
      if (frame.n <= this.have) return;  // already shown (sent again after a reconnect)
      this.have = frame.n;
      this.on.numbered(frame);
      if (this.token) this.scheduleAck();
      return;
    }
    switch (frame.t) {
      case "ready":
        this.online();
        if (frame.next !== null) this.have = frame.next - 1;
        break;
      case "got":
        this.settled(frame.id);
        break;
      case "error":
        this.on.refused(frame.id ? this.settled(frame.id) : null, frame.code);
        break;
      case "busy":
        this.on.busy();
        break;
      case "reload":
        this.on.reload(frame);
        break;
      default:
        break;  // a newer server's frame: nothing to do
    }
  }

  // The conversation was erased: acknowledge now (while the socket still belongs to it),
  // then forget it; the next action starts a new one.
  erased() {
    this.sendAck();
    this.pending.length = 0;
    this.forgetToken();
    this.helloToken = undefined;
  }

  // Quick exit: erase on the server now (the close with 4000 erases too), and stop.
  leave() {
    if (this.gone) return;
    this.gone = true;
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.token) {
      try {
        this.ws.send(JSON.stringify({ v: PROTOCOL, t: "exit", id: this.page + "." + (++this.counter) }));
        this.ws.close(4000);
      } catch (e) { /* the server erases on the close too */ }
    }
  }
}
