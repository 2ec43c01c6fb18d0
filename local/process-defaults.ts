/**
 * Imported first by the local runtime's entry, before any adapter is evaluated: Powertools
 * reads these when its singletons are built. Locally there is no CloudWatch to read EMF
 * metric lines, so they would only clutter the console (set the variable to `false` to see them).
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
