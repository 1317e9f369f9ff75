// Text that came from elsewhere (a registry's error body, an engine's message) is shown as
// text: a terminal must never receive its control sequences. An escape code in a server's
// answer could recolour, hide or rewrite what dt prints, or set the window title.

// C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
// isolates that reorder what follows them on screen.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with each control character written out as `\xNN` or `\uNNNN`. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
