import { createAttributionApp } from '../lib/attribution-app.ts';

/** `npx cdk deploy --all`: the config file comes from `-c config=PATH`, ATTRIBUTION_CONFIG, or the default. */
const configPath = process.env.ATTRIBUTION_CONFIG ?? 'attribution.config.json';
const { app } = createAttributionApp({ configPath });
app.synth();
