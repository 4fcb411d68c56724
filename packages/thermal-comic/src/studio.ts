export {
  detectTemplate,
  listPoolEntries,
  listTemplates,
  type PoolEntry,
  readPoolEntry,
  savePoolMetadata,
  saveTemplate,
  type TemplateEntry,
} from "./services/studio/files.js";
export {
  type ComicStudioOptions,
  type RunningComicStudio,
  type StudioComic,
  startComicStudio,
} from "./services/studio/server.js";
