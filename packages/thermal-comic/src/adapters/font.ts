import { GlobalFonts } from "@napi-rs/canvas";
import { ThermalComicError } from "../errors.js";
import type { Logger } from "../logger.js";
import { packageFile } from "./assets.js";

/** The font of balloons and captions: a font file to load, or a family already installed. */
export type FontOption = string | { path?: string; family?: string };

/** The family name the shipped font (Comic Neue Bold, SIL OFL 1.1) is registered under. */
export const SHIPPED_FONT_FAMILY = "Comic Neue";

/** Families tried when a glyph is missing from the chosen font. */
export const FALLBACK_FAMILIES = ['"DejaVu Sans"', '"Liberation Sans"', "sans-serif"];

let shipped: "unloaded" | "loaded" | "failed" = "unloaded";
const registered = new Map<string, string>();

/** Registers the font once and returns the CSS font-family list to draw with (font first, then fallbacks). */
export function resolveFont(font: FontOption | undefined, logger?: Logger): string {
  const list = (family: string) => [`"${family}"`, ...FALLBACK_FAMILIES].join(", ");
  if (font === undefined) {
    if (shipped === "unloaded") {
      const path = packageFile("assets/fonts/ComicNeue-Bold.woff2");
      shipped = GlobalFonts.registerFromPath(path, SHIPPED_FONT_FAMILY) ? "loaded" : "failed";
      if (shipped === "failed")
        logger?.warn(
          `thermal-comic: the shipped font ${path} did not load; text falls back to ${FALLBACK_FAMILIES.join(", ")}`,
        );
    }
    return shipped === "loaded" ? list(SHIPPED_FONT_FAMILY) : FALLBACK_FAMILIES.join(", ");
  }
  const { path, family } = typeof font === "string" ? { path: font, family: undefined } : font;
  if (!path) {
    if (!family) throw new ThermalComicError("INVALID_ARGUMENT", "font needs a path or a family");
    return list(family);
  }
  const known = registered.get(path);
  if (known) return list(family ?? known);
  const name = family ?? `thermal-comic-font-${registered.size + 1}`;
  if (!GlobalFonts.registerFromPath(path, name))
    throw new ThermalComicError(
      "FONT_ERROR",
      `the font ${path} cannot be loaded (is it a TTF, OTF, WOFF or WOFF2 file that exists?)`,
      { path },
    );
  registered.set(path, name);
  return list(name);
}
