// URLs as dt records and prints them. A git remote often carries a secret: CI checkouts use
// `https://gitlab-ci-token:TOKEN@host/...`, bots `https://bot:TOKEN@host/...`, some servers a
// `?private_token=` query. Whatever dt writes into labels, output or errors drops both.

const SCHEME_URL = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)/i;

/**
 * `url` without userinfo, query string or fragment when it is a `scheme://` URL. Other forms
 * stay as they are: `git@host:path` names an SSH login, never a password, and paths have none.
 */
export function publicUrl(url: string): string {
  const m = SCHEME_URL.exec(url.trim());
  if (!m) return url;
  const authority = m[2]!.slice(m[2]!.lastIndexOf("@") + 1);
  return `${m[1]}${authority}${m[3]}`;
}

/** Whether `url` carries a password or a query string, which `publicUrl` would drop. */
export function hasSecretParts(url: string): boolean {
  const trimmed = url.trim();
  const m = SCHEME_URL.exec(trimmed);
  if (!m) return false;
  const userinfo = m[2]!.slice(0, m[2]!.lastIndexOf("@") + 1);
  return userinfo.includes(":") || trimmed.length > m[0].length;
}

/** Every `scheme://` URL in free text (a git message, a command line) made public. */
export const redactUrls = (text: string) => text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>`]*/gi, (url) => publicUrl(url));
