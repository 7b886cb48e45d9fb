const started = Date.now();

exports.checks = () => ({ ok: true, uptimeSeconds: Math.round((Date.now() - started) / 1000) });
