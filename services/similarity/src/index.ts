export { similarityBinding } from './service.js';
