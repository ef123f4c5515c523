/**
 * What the signed-in token may do. The API has no "who am I" read, so the page asks the one question
 * that only a write answers without changing anything: a dry-run rollback to version 0, which the
 * admin token gets refused as invalid (400) and the read token as forbidden (403). Only a 400 shows
 * the admin controls; any other answer leaves the page read-only (test/worker/api/history.test.ts
 * pins these answers). The token itself stays where it was (sessionStorage); nothing about it is
 * written into the page.
 */
import { API, request } from "./api.ts";

/** `admin`: may change the configuration; `read`: may only look. */
export type Role = "admin" | "read";

let known: { token: string; role: Promise<Role> } | undefined;

async function probe(token: string): Promise<Role> {
  const answer = await request(`${API}/config/rollback?dryRun=true`, token, {
    method: "POST",
    body: { version: 0 },
  });
  if (!answer.ok && answer.status === 400) return "admin";
  // Anything but a clear 403 (the API unreachable, busy) is read-only for now and asked again later.
  if ((answer.ok || answer.status !== 403) && known?.token === token) known = undefined;
  return "read";
}

/** The role of `token`, asked once per token (an unclear answer is asked again next time). */
export function roleOf(token: string): Promise<Role> {
  if (known?.token !== token) {
    const entry = { token, role: Promise.resolve<Role>("read") };
    known = entry;
    entry.role = probe(token).catch((error: unknown) => {
      if (known === entry) known = undefined;
      throw error;
    });
  }
  return known.role;
}

/** Forgets the role (sign-out, or a token that stopped working). */
export function forgetRole(): void {
  known = undefined;
}
