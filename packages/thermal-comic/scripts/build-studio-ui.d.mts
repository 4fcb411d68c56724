/** Builds the studio page (index.html, app.js, app.css) into `outDir`; returns the file names. */
export function buildStudioUi(outDir: string): Promise<string[]>;
