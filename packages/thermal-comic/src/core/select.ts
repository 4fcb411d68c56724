import { ThermalComicError } from "../errors.js";
import { type Placement, placeImage } from "./fit.js";
import type { Panel } from "./layout.js";
import { aspectAllowed, type ResolvedMetadata } from "./metadata.js";
import type { Random } from "./random.js";

/** What selection needs to know about one pool image. */
export interface Candidate {
  /** Name used in the layout JSON and in errors (the file name). */
  name: string;
  /** Where the image came from, for errors. */
  path: string;
  width: number;
  height: number;
  meta: ResolvedMetadata;
}

/** Options of {@link assignImages}. */
export interface AssignOptions {
  /** Panels to leave without a picture, by reading-order id. */
  emptyPanels: ReadonlySet<number>;
  /** Tags each panel's image must carry, by reading-order id. */
  panelTags: ReadonlyMap<number, string[]>;
  /** Whether one image may fill several panels when the pool is too small. */
  allowReuse: boolean;
  /** Whether an image whose region of interest fits no panel is an error or left out. */
  roiTooLarge: "error" | "skip";
}

/** The chosen image and its placement for one panel. */
export interface Assignment {
  panel: number;
  image: number;
  placement: Placement;
}

/**
 * Seeded choice of an image for every panel: an image goes only where its fit rules allow
 * (aspect, tags, scale limits, region of interest inside the polygon), each image at most once
 * unless reuse is allowed, and a full assignment is found whenever one exists (a maximum
 * bipartite matching, Kuhn's augmenting paths, tried in a seeded weighted order so the same seed
 * gives the same comic and images that suit a panel's shape are likelier).
 */
export function assignImages(
  panels: Panel[],
  images: Candidate[],
  random: Random,
  options: AssignOptions,
): Assignment[] {
  const wanted = panels.filter((p) => !options.emptyPanels.has(p.id));
  // options[panel][image] = placements at each allowed rotation (the first is preferred).
  const fits = new Map<number, Map<number, Placement[]>>();
  const usable = new Set<number>();
  images.forEach((image, index) => {
    let fitsSomewhere = false;
    for (const panel of panels) {
      const aspect = panel.bbox.width / panel.bbox.height;
      const placements: Placement[] = [];
      if (!aspectAllowed(image.meta.aspects, aspect)) continue;
      for (const rotation of image.meta.rotations) {
        const placement = placeImage(panel.polygon, image, image.meta, rotation);
        if (placement) placements.push(placement);
      }
      if (placements.length === 0) continue;
      fitsSomewhere = true;
      if (options.emptyPanels.has(panel.id)) continue;
      const tags = options.panelTags.get(panel.id) ?? [];
      if (!tags.every((t) => image.meta.tags.includes(t))) continue;
      const row = fits.get(panel.id) ?? new Map<number, Placement[]>();
      fits.set(panel.id, row);
      row.set(index, placements);
      usable.add(index);
    }
    if (!fitsSomewhere && image.meta.roi && options.roiTooLarge === "error") {
      const r = image.meta.roi;
      throw new ThermalComicError(
        "ROI_TOO_LARGE",
        `${image.path}: the region of interest (${r.width}×${r.height} px${image.meta.minScale ? ` at minScale ${image.meta.minScale}` : ""}) fits no panel of this ${panels.length}-panel page at any allowed scale and rotation; lower minScale, shrink the roi, or set roiTooLarge: "skip"`,
        { path: image.path },
      );
    }
  });

  for (const panel of wanted)
    if (!fits.get(panel.id)?.size) {
      const tags = options.panelTags.get(panel.id);
      throw new ThermalComicError(
        "NO_FITTING_IMAGE",
        `panel ${panel.id} (${Math.round(panel.bbox.width)}×${Math.round(panel.bbox.height)} dots${tags?.length ? `, tags ${tags.join(", ")}` : ""}) has no image in the pool whose fit rules allow it; add images or list it in emptyPanels`,
        { panel: panel.id },
      );
    }
  if (!options.allowReuse && usable.size < wanted.length)
    throw new ThermalComicError(
      "POOL_TOO_SMALL",
      `the page has ${wanted.length} panels to fill but only ${usable.size} pool image(s) fit any of them; add images or allow reuse`,
      { needed: wanted.length, available: usable.size },
    );

  // Seeded weighted order (Efraimidis–Spirakis keys): heavier images and better shape matches first.
  const order = new Map<number, number[]>();
  for (const panel of wanted) {
    const row = fits.get(panel.id) as Map<number, Placement[]>;
    const aspect = panel.bbox.width / panel.bbox.height;
    const keyed = [...row.keys()].map((index) => {
      const image = images[index] as Candidate;
      const natural = image.width / image.height;
      const closeness = 1 / (1 + 2 * Math.abs(Math.log(natural / aspect)));
      const weight = image.meta.weight * closeness;
      return { index, key: random.next() ** (1 / weight) };
    });
    keyed.sort((a, b) => b.key - a.key || a.index - b.index);
    order.set(
      panel.id,
      keyed.map((k) => k.index),
    );
  }

  const owner = new Map<number, number>(); // image → panel
  const chosen = new Map<number, number>(); // panel → image
  const augment = (panel: number, seen: Set<number>): boolean => {
    for (const image of order.get(panel) as number[]) {
      if (seen.has(image)) continue;
      seen.add(image);
      const holder = owner.get(image);
      if (holder === undefined || augment(holder, seen)) {
        owner.set(image, panel);
        chosen.set(panel, image);
        return true;
      }
    }
    return false;
  };
  for (const panel of random.shuffle(wanted.map((p) => p.id))) augment(panel, new Set());

  const unfilled = wanted.filter((p) => !chosen.has(p.id));
  if (unfilled.length && !options.allowReuse)
    throw new ThermalComicError(
      "POOL_TOO_SMALL",
      `the pool's images fit only ${chosen.size} of the ${wanted.length} panels without repeating one (panel${unfilled.length > 1 ? "s" : ""} ${unfilled.map((p) => p.id).join(", ")} would need a repeat); add images that fit or allow reuse`,
      { needed: wanted.length, available: chosen.size },
    );
  for (const panel of unfilled)
    chosen.set(panel.id, (order.get(panel.id) as number[])[0] as number);

  return wanted.map((panel) => {
    const image = chosen.get(panel.id) as number;
    const placements = fits.get(panel.id)?.get(image) as Placement[];
    return { panel: panel.id, image, placement: placements[0] as Placement };
  });
}
