/**
 * A rule's `path` reads the normalised path, as routing does (docs/api.md): a client cannot step
 * around a rule by percent-encoding unreserved characters.
 */
import { describe, expect, it } from "vitest";
import { installConfig, ORIGIN, send } from "./support.ts";

describe("rules match the normalised path", () => {
  it("answers /%61dmin with the /admin rule's response, not the origin's", async () => {
    installConfig(
      [{ id: "rules-path", origins: [{ name: "a", address: ORIGIN }] }],
      [
        {
          id: "rules-path",
          hostname: "rules-path.test",
          pools: ["rules-path"],
          rules: [
            {
              name: "closed",
              when: { path: { regex: "^/admin(/|$)" } },
              then: { respond: { status: 403, body: "closed", contentType: "text/plain" } },
            },
          ],
        },
      ],
    );
    for (const path of ["/admin", "/%61dmin", "/%61%64min/x"]) {
      const response = await send(`http://rules-path.test${path}`);
      expect(response.status, path).toBe(403);
      expect(await response.text()).toBe("closed");
    }
    const open = await send("http://rules-path.test/public");
    expect(open.status).toBe(200);
    expect(await open.text()).toBe("ok");
  });
});
