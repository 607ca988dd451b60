// What the package tests share: the environment tests/n8n-package/run sets for them, and free
// ports.
import { createServer } from 'node:net';

/** The value of the environment variable `k`; an error naming it when it is not set. */
export const env = (k) => {
	const v = process.env[k];
	if (!v) throw new Error(`${k} is not set (run tests/n8n-package/run)`);
	return v;
};

/** A port free on 127.0.0.1 now (for an n8n's server or its task broker: never a fixed one, so
 * that another n8n on the machine, another test run, does not stop this one). */
export const freePort = () => new Promise((done, fail) => {
	const server = createServer().listen(0, '127.0.0.1', () => {
		const { port } = server.address();
		server.close(() => done(port));
	}).on('error', fail);
});
