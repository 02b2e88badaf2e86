export { buildServer, type ServerOptions, type ServerState } from './app.js';
export { pathOnly } from './logging.js';
export { createServices, oidcConfigFromEnv, type Services, type ServiceOptions } from './services.js';
