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
  type MakeComicRequest,
  type RunningComicStudio,
  type StudioComic,
  type StudioPhase,
  type StudioProgressEvent,
  startComicStudio,
} from "./services/studio/server.js";
