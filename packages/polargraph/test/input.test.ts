import { describe, expect, it } from "vitest";
import {
  boundsOf,
  distanceToSegment,
  exampleMachine,
  fitToPage,
  formatPolylines,
  type Point,
  PolargraphError,
  type Polyline,
  parsePolylines,
  parseSvg,
  planDrawing,
} from "../src/index.js";

const doc = (body: string, attrs = 'width="200mm" height="200mm" viewBox="0 0 200 200"') =>
  `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" ${attrs}>\n${body}\n</svg>`;

function distanceTo(strokes: Polyline[], p: Point): number {
  let best = Number.POSITIVE_INFINITY;
  for (const s of strokes)
    for (let i = 1; i < s.length; i++)
      best = Math.min(best, distanceToSegment(p, s[i - 1] as Point, s[i] as Point));
  return best;
}

function error(fn: () => unknown): PolargraphError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PolargraphError);
    return e as PolargraphError;
  }
  throw new Error("expected a throw");
}

describe("parseSvg", () => {
  it("scales user units to millimetres through width, height and viewBox", () => {
    const d = parseSvg(
      doc(
        '<line x1="0" y1="0" x2="200" y2="100"/>',
        'width="100mm" height="50mm" viewBox="0 0 200 100"',
      ),
    );
    expect(d.width).toBe(100);
    expect(d.height).toBe(50);
    expect(d.strokes).toEqual([
      [
        { x: 0, y: 0 },
        { x: 100, y: 50 },
      ],
    ]);
    const inches = parseSvg(
      doc('<line x1="0" y1="0" x2="1" y2="0"/>', 'width="2in" height="1in" viewBox="0 0 2 1"'),
    );
    expect(inches.strokes[0]?.[1]?.x).toBeCloseTo(25.4, 9);
    const px = parseSvg(doc('<line x1="0" y1="0" x2="96" y2="0"/>', ""));
    expect(px.strokes[0]?.[1]?.x).toBeCloseTo(25.4, 9);
  });

  it("reads straight path commands, absolute and relative, and closes with Z", () => {
    const d = parseSvg(doc('<path d="M10,10 L20,10 H30 V20 l10,0 h10 v10 Z m5 5 l1 1"/>'));
    expect(d.strokes[0]).toEqual([
      { x: 10, y: 10 },
      { x: 20, y: 10 },
      { x: 30, y: 10 },
      { x: 30, y: 20 },
      { x: 40, y: 20 },
      { x: 50, y: 20 },
      { x: 50, y: 30 },
      { x: 10, y: 10 },
    ]);
    // after Z the current point is the subpath start, so m5 5 moves to (15, 15)
    expect(d.strokes[1]).toEqual([
      { x: 15, y: 15 },
      { x: 16, y: 16 },
    ]);
  });

  it("flattens arcs, cubic, smooth cubic, quadratic and smooth quadratic curves within tolerance", () => {
    const d = parseSvg(
      doc(`<path d="M100,100 A20,20 0 0 1 140,100 a20 20 0 0 1 -40 0 z"/>
<path d="M10,150 C10,130 50,130 50,150 S90,170 90,150"/>
<path d="M10,190 Q30,170 50,190 T90,190"/>
<path d="m110,150 c0,-20 40,-20 40,0 s40,20 40,0"/>
<path d="m110,190 q20,-20 40,0 t40,0"/>`),
    );
    expect(d.strokes).toHaveLength(5);
    for (const p of d.strokes[0] as Polyline)
      expect(Math.abs(Math.hypot(p.x - 120, p.y - 100) - 20)).toBeLessThan(0.051);
    expect((d.strokes[0] as Polyline).length).toBeGreaterThan(16);
    const onCurves: Array<[number, number]> = [
      [30, 135],
      [70, 165],
      [90, 150],
      [30, 180],
      [70, 200],
      [130, 135],
      [170, 165],
      [130, 180],
      [170, 200],
    ];
    for (const [x, y] of onCurves) expect(distanceTo(d.strokes, { x, y })).toBeLessThan(0.05);
  });

  it("reads the basic shapes", () => {
    const d = parseSvg(
      doc(`<rect x="10" y="10" width="30" height="20"/>
<rect x="50" y="10" width="30" height="20" rx="5"/>
<circle cx="100" cy="100" r="10"/>
<ellipse cx="150" cy="100" rx="20" ry="10"/>
<polygon points="10,150 30,150 20,170"/>
<polyline points="50 150, 60 160 70 150"/>
<line x1="1" y1="2" x2="3" y2="4"/>`),
    );
    expect(d.strokes).toHaveLength(7);
    expect(d.strokes[0]).toEqual([
      { x: 10, y: 10 },
      { x: 40, y: 10 },
      { x: 40, y: 30 },
      { x: 10, y: 30 },
      { x: 10, y: 10 },
    ]);
    expect(boundsOf([d.strokes[1] as Polyline])).toEqual({
      minX: 50,
      minY: 10,
      maxX: 80,
      maxY: 30,
    });
    // a rounded corner stays off the sharp corner: nearest point ≈ 5·(√2 − 1) away
    expect(distanceTo([d.strokes[1] as Polyline], { x: 50, y: 10 })).toBeCloseTo(
      5 * (Math.SQRT2 - 1),
      1,
    );
    for (const p of d.strokes[2] as Polyline)
      expect(Math.abs(Math.hypot(p.x - 100, p.y - 100) - 10)).toBeLessThan(0.051);
    for (const p of d.strokes[3] as Polyline)
      expect(Math.abs(((p.x - 150) / 20) ** 2 + ((p.y - 100) / 10) ** 2 - 1)).toBeLessThan(0.02);
    expect(d.strokes[4]?.[3]).toEqual({ x: 10, y: 150 });
    expect(d.strokes[5]).toHaveLength(3);
    expect(d.strokes[6]).toEqual([
      { x: 1, y: 2 },
      { x: 3, y: 4 },
    ]);
  });

  it("composes nested transforms", () => {
    const d = parseSvg(
      doc(
        '<g transform="translate(10,20) scale(2)"><rect x="0" y="0" width="5" height="5" transform="rotate(90)"/></g>',
      ),
    );
    const pts = (d.strokes[0] as Polyline).map((p) => ({
      x: Math.round(p.x * 1e9) / 1e9,
      y: Math.round(p.y * 1e9) / 1e9,
    }));
    expect(pts).toEqual([
      { x: 10, y: 20 },
      { x: 10, y: 30 },
      { x: 0, y: 30 },
      { x: 0, y: 20 },
      { x: 10, y: 20 },
    ]);
    const m = parseSvg(
      doc('<g transform="matrix(1 0 0 1 5 0) skewX(45)"><line x1="0" y1="0" x2="0" y2="10"/></g>'),
    );
    expect(m.strokes[0]?.[1]?.x).toBeCloseTo(15, 9);
  });

  it("leaves out what is not drawn and counts what it cannot draw", () => {
    const d = parseSvg(
      doc(`<defs><circle r="5"/></defs><g display="none"><line x2="5"/></g><line x2="5" style="display:none"/>
<text x="1" y="1">hi</text><image href="x.png"/><line x1="0" y1="0" x2="5" y2="0"/>`),
    );
    expect(d.strokes).toHaveLength(1);
    expect(d.skipped).toEqual({ text: 1, image: 1 });
  });

  it("reports malformed input with its location", () => {
    const unclosed = error(() =>
      parseSvg('<svg xmlns="http://www.w3.org/2000/svg">\n<g>\n<line x2="1"/>\n</svg>'),
    );
    expect(unclosed.code).toBe("INVALID_SVG");
    expect(unclosed.location?.line).toBe(4);
    const badPath = error(() => parseSvg(doc('<path d="M 10 10 L 20"/>')));
    expect(badPath).toMatchObject({ code: "INVALID_SVG", location: { element: "path", line: 3 } });
    expect(badPath.message).toContain("missed param");
    expect(error(() => parseSvg("<html/>")).message).toContain("not <svg>");
    expect(error(() => parseSvg("")).code).toBe("INVALID_SVG");
    expect(error(() => parseSvg(doc('<circle cx="1" cy="1" r="abc"/>'))).location).toMatchObject({
      element: "circle",
    });
    expect(error(() => parseSvg(doc('<polyline points="1,2 3"/>'))).code).toBe("INVALID_SVG");
    expect(
      error(() => parseSvg(doc('<rect width="1" height="1" transform="spin(4)"/>'))).message,
    ).toContain("transform");
    expect(error(() => parseSvg(doc("", 'viewBox="0 0 -1 5"'))).code).toBe("INVALID_SVG");
    expect(error(() => parseSvg(doc("", 'width="wide"'))).code).toBe("INVALID_SVG");
    expect(error(() => parseSvg(doc(""), { tolerance: 0 })).code).toBe("INVALID_ARGUMENT");
  });

  it("feeds the planner", () => {
    const d = parseSvg(
      doc('<circle cx="100" cy="100" r="50"/><rect x="20" y="20" width="160" height="160"/>'),
    );
    const plan = planDrawing(exampleMachine, fitToPage(exampleMachine, d.strokes));
    expect(plan.strokes).toHaveLength(2);
    expect(plan.drawLength).toBeGreaterThan(277 * 4);
  });
});

describe("JSON polylines", () => {
  it("reads both point forms and the wrapped form, and writes it back", () => {
    expect(parsePolylines('[[[0,0],[1,2]],[{"x":3,"y":4}]]')).toEqual([
      [
        { x: 0, y: 0 },
        { x: 1, y: 2 },
      ],
      [{ x: 3, y: 4 }],
    ]);
    const strokes = [
      [
        { x: 1.23456, y: 2 },
        { x: 3, y: 4 },
      ],
    ];
    expect(formatPolylines(strokes)).toBe('{"units":"mm","polylines":[[[1.235,2],[3,4]]]}\n');
    expect(parsePolylines(formatPolylines(strokes))).toEqual([
      [
        { x: 1.235, y: 2 },
        { x: 3, y: 4 },
      ],
    ]);
  });

  it.each([
    ["[", ""],
    ['{"polylines": 3}', "polylines"],
    ["[[[0,0]], 5]", "[1]"],
    ['[[[0,0],[1,"2"]]]', "[0][1]"],
    ["[[[0,0,0]]]", "[0][0]"],
    ['{"units":"in","polylines":[]}', "units"],
  ])("rejects %s at %s", (text, path) => {
    const e = error(() => parsePolylines(text));
    expect(e.code).toBe("INVALID_POLYLINES");
    expect(e.path).toBe(path);
  });
});

describe("fitToPage", () => {
  it("scales uniformly and centres into the page less its margins", () => {
    const fitted = fitToPage(exampleMachine, [
      [
        { x: 0, y: 0 },
        { x: 100, y: 50 },
      ],
    ]);
    // 277 mm wide drawable area: scale 2.77, height 138.5 centred in 400
    expect(fitted[0]?.[0]?.x).toBeCloseTo(10, 9);
    expect(fitted[0]?.[1]?.x).toBeCloseTo(287, 9);
    expect(fitted[0]?.[0]?.y).toBeCloseTo(10 + (400 - 138.5) / 2, 9);
    expect(fitToPage(exampleMachine, [])).toEqual([]);
  });
});
