// Quick exit, after GOV.UK's "Exit this page": the link, Space on it, and Escape anywhere
// empty the page at once, erase the conversation, and replace this page in the history
// with a neutral site.

export function installQuickExit(link, exitUrl, socket) {
  let gone = false;

  function quickExit(event) {
    if (event) event.preventDefault();
    if (gone) return;
    gone = true;
    // First the screen: nothing of the conversation stays visible, even for a moment.
    document.body.replaceChildren();
    document.title = "";
    try { sessionStorage.clear(); } catch (e) { /* nothing stored */ }
    socket.leave();
    try {
      if (window.top !== window) window.top.location.replace(exitUrl);
    } catch (e) { /* another site's frame: leave this one */ }
    location.replace(exitUrl);
  }

  link.addEventListener("click", quickExit);
  link.addEventListener("keydown", function (event) {
    if (event.key === " ") quickExit(event);  // role="button": Space works as for a button
  });
  document.addEventListener("keydown", function (event) {
    if ((event.key === "Escape" || event.key === "Esc") && !event.isComposing) quickExit(event);
  });
}
