/**
 * A headless Chromium for the dashboard's browser tests, in a throwaway profile. Chromium comes from
 * the setup step (README, "Tests"; `.ci/run` installs it in CI): tests never install anything
 * and skip visibly when it is missing.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why the browser tests cannot run here, or undefined when they can. */
export function missingChromium(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  return `${CHROMIUM} is missing; install it first (as root: apt-get update && apt-get install -y chromium)`;
}

/** A browser with one page that records uncaught script errors and CSP refusals in `errors`. */
export interface TestBrowser {
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

/** Launches Chromium in a fresh profile and opens one page. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "edge-lb-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      errors.push(message.text());
    }
  });
  return {
    page,
    errors,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Signs the page in at `/__lb/` with `token` and waits for the pools panel. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/__lb/`);
  if (await page.locator("#logout").isVisible()) {
    await page.locator("#logout").click();
  }
  await page.locator("#token").fill(token);
  await page.locator("#login-form button[type=submit]").click();
  await page.locator("#pools [data-pool]").first().waitFor();
}
