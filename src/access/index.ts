export { ARGON2_PARAMS, hashPassword, verifyPassword } from './password.js';
