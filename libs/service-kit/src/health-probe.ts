// `node libs/service-kit/dist/health-probe.js <host:port> [service]`: prints the serving status and
// exits 0 when it is SERVING, 1 otherwise. The images' HEALTHCHECK runs it: it needs service-kit
// alone, which every image holds (the coordinator's has no CLI and no TensorFlow).
import { checkHealth } from './health-client.js';

const [address, service = ''] = process.argv.slice(2);
if (!address) {
  console.error('usage: health-probe <host:port> [service]');
  process.exit(2);
}
const status = await checkHealth(address, service).catch((error: Error) => `error: ${error.message}`);
console.log(status);
process.exit(status === 'SERVING' ? 0 : 1);
