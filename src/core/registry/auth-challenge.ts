// Answering a registry's WWW-Authenticate challenge: Basic, or a Bearer token from the realm
// (with Basic credentials, or the refresh_token grant for identity tokens).
import { type DtError, envError } from "../base/errors.ts";
import type { RegistryAuth } from "./credentials.ts";

/** Parses `Bearer realm="x",service="y",scope="a b"` into its scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!match) return { scheme: "", params: {} };
  const params: Record<string, string> = {};
  const re = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const m of match[2]!.matchAll(re)) params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!;
  return { scheme: match[1]!.toLowerCase(), params };
}

export function basicHeader(auth: RegistryAuth): string | undefined {
  if (!auth.password) return undefined;
  return `Basic ${Buffer.from(`${auth.username ?? ""}:${auth.password}`).toString("base64")}`;
}

/** What the token request borrows from the client that was challenged. */
interface Challenged {
  host: string;
  /** The scope of the request, for a challenge that names none. */
  scope: string;
  /** Sends a request with the client's timeout, user agent and error messages. */
  fetch(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Response>;
  /** The error for credentials the registry refused. */
  refused(): DtError;
  /** The registry's error body as one short line, scrubbed of credentials. */
  errorText(res: Response): Promise<string>;
  /** The body, within the client's size limit for tokens and its deadline. */
  readBody(res: Response, what: string): Promise<Uint8Array>;
  /** Drops a body dt does not need. */
  discard(res: Response): Promise<void>;
}

/** A Bearer token from the challenge's realm for `auth` (none: an anonymous token). */
export async function fetchToken(params: Record<string, string>, auth: RegistryAuth | undefined, client: Challenged): Promise<string> {
  const { host } = client;
  const realm = params.realm;
  if (!realm) throw envError(`registry ${host} asked for a token without saying where to get it (no realm)`);
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw envError(`registry ${host} named a token service that is not a URL`);
  }
  const scope = params.scope || client.scope;
  let res: Response;
  if (auth?.identitytoken) {
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: auth.identitytoken, client_id: "dt" });
    if (params.service) form.set("service", params.service);
    for (const s of scope.split(" ")) if (s) form.append("scope", s);
    res = await client.fetch(url.toString(), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
  } else {
    if (params.service) url.searchParams.set("service", params.service);
    for (const s of scope.split(" ")) if (s) url.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    const basic = auth && basicHeader(auth);
    if (basic) headers.Authorization = basic;
    res = await client.fetch(url.toString(), { method: "GET", headers });
  }
  if (res.status === 401 || res.status === 403) {
    await client.discard(res);
    throw client.refused();
  }
  if (!res.ok) {
    const detail = await client.errorText(res);
    throw envError(`token service of registry ${host} answered ${res.status}${detail ? `: ${detail}` : ""}`, {
      hint: `docker login ${host}`,
    });
  }
  const bytes = await client.readBody(res, `a token from ${url.origin}`);
  let body: { token?: unknown; access_token?: unknown };
  try {
    body = JSON.parse(new TextDecoder().decode(bytes)) as typeof body;
  } catch {
    throw envError(`token service of registry ${host} answered something that is not JSON`);
  }
  const token = typeof body.token === "string" && body.token ? body.token : body.access_token;
  if (typeof token !== "string" || !token) throw envError(`token service of registry ${host} sent no token`);
  return token;
}
