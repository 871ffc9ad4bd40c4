// The certificate PDF's fonts are the npm package's files, unedited (scripts/certificate-fonts.ts
// copies them), with their license, and ship with the function (config.toml's static_files).
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import { FONT_PACKAGE, fontFiles, fontsDir, sha256 } from "./certificate-fonts.ts";
import { supabaseDir } from "./lib/paths.ts";

Deno.test(`certificate fonts: the committed files are ${FONT_PACKAGE}'s, byte for byte`, async () => {
  for (const f of fontFiles) {
    assert.equal(await sha256(await Deno.readFile(join(fontsDir, f.to))), f.sha256, f.to);
  }
});

Deno.test("certificate fonts: config.toml ships them with certificate-pdf (static_files)", () => {
  const config = parse(Deno.readTextFileSync(join(supabaseDir, "config.toml"))) as {
    functions: Record<string, { static_files?: string[] }>;
  };
  const files = config.functions["certificate-pdf"]?.static_files ?? [];
  for (const f of fontFiles) {
    assert.ok(
      files.some((glob) =>
        glob === `./functions/certificate-pdf/fonts/${f.to}` ||
        glob === "./functions/certificate-pdf/fonts/*"
      ),
      `${f.to} is listed`,
    );
  }
});
