// Phone numbers in a text, so a tap calls them: the short numbers the content names (112,
// 113), 0800-0113, 0800 5151, 0900-8844, 088-1234567, 033 448 11 86, +31 70 333 44 44.
// Not a number: ages ("16 of 17"), times, years, 113.nl.

const DIGITS = /\+?\d(?:[\d -]*\d)?/g;

function telOf(found, shortNumbers) {
  const digits = found.replace(/[^\d]/g, "");
  if (found.charAt(0) === "+") {
    return digits.indexOf("31") === 0 && digits.length === 11 ? "+" + digits : null;
  }
  if (shortNumbers.indexOf(digits) >= 0) return found === digits ? digits : null;
  if (/^0[89]0[09]/.test(digits)) return digits.length >= 8 && digits.length <= 11 ? digits : null;
  return digits.charAt(0) === "0" && digits.length === 10 ? digits : null;
}

// [text, tel or null] parts of a text. ``shortNumbers``: the emergency and crisis numbers
// of the content (the server puts them in the page's config), the only numbers this short.
export function phoneParts(text, shortNumbers) {
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
    const tel = glued ? null : telOf(found, shortNumbers);
    if (tel) {
      if (start > last) parts.push([text.slice(last, start), null]);
      parts.push([found, tel]);
      last = end;
    }
  }
  if (last < text.length) parts.push([text.slice(last), null]);
  return parts;
}

// Append ``text`` to ``parent``, its phone numbers as tel: links.
export function withPhones(parent, text, shortNumbers) {
  phoneParts(text, shortNumbers).forEach(function (part) {
    if (part[1] === null) {
      parent.appendChild(document.createTextNode(part[0]));
    } else {
      const a = document.createElement("a");
      a.href = "tel:" + part[1];
      a.className = "baken-chat__tel";
      a.dir = "ltr";  // a number reads left to right, isolated, also inside Arabic
      a.textContent = part[0];
      parent.appendChild(a);
    }
  });
}
