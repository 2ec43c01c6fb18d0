import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadDeployConfig } from './deploy-config.ts';
import { PipelineStack } from './pipeline-stack.ts';
import { StorageStack } from './storage-stack.ts';

export interface AttributionAppProps extends AppProps {
  /** The attribution config file (with its `deploy` key). */
  readonly configPath: string;
}

/** The whole deployment: a stateful and a stateless stack, checked by cdk-nag's AWS Solutions rules. */
export function createAttributionApp(props: AttributionAppProps) {
  const app = new App(props);
  const config = loadDeployConfig(props.configPath);
  const { stage } = config.settings;
  const storage = new StorageStack(app, `Attribution-${stage}-Storage`, { settings: config.settings });
  const pipeline = new PipelineStack(app, `Attribution-${stage}-Pipeline`, { config, storage });
  Tags.of(app).add('application', 'attribution-pipeline');
  Tags.of(app).add('stage', stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, storage, pipeline, config };
}
