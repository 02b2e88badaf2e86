export { buildServer, type ServerOptions, type ServerState } from './app.js';
export { pathOnly } from './logging.js';
