export { procrustesBinding } from './service.js';
