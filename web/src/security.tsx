/** The security console, one file per screen under security/ (the app imports it from here). */
export { Security } from './security/index.js';
