// What the package tests share: the environment tests/n8n-package/run sets for them.

/** The value of the environment variable `k`; an error naming it when it is not set. */
export const env = (k) => {
	const v = process.env[k];
	if (!v) throw new Error(`${k} is not set (run tests/n8n-package/run)`);
	return v;
};
