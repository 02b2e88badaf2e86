export { buildServer, type ServerOptions, type ServerState } from './app.js';
export { pathOnly } from './logging.js';
export { approversFromEnv, createServices, oidcConfigFromEnv, publicUrlFromEnv, trustProxyFromEnv, type Services, type ServiceOptions } from './services.js';
