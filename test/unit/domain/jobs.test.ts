import { describe, expect, it } from 'vitest';
import { InternalError, ServiceUnavailableError, ValidationError } from '#domain/errors.ts';
import { failureReason } from '#domain/jobs.ts';

/** The cause Step Functions records for an error a Lambda task threw: Lambda's error JSON. */
const lambdaCause = (errorType: string, errorMessage: string) =>
  JSON.stringify({
    errorType,
    errorMessage,
    trace: [`${errorType}: ${errorMessage}`, '    at Object.plan (file:///var/task/index.mjs:1:2345)'],
  });

describe('failureReason', () => {
  it('shows the message of our own errors written to be read, from either runner', () => {
    const tooLarge = 'the window holds 9.1 GB of events; lower lookbackDays or scheduleWindowDays';
    expect(failureReason(new ValidationError(tooLarge))).toBe(tooLarge);
    expect(failureReason({ Error: 'ValidationError', Cause: lambdaCause('ValidationError', tooLarge) })).toBe(
      tooLarge,
    );
    expect(failureReason(new ServiceUnavailableError('results are busy; retry'))).toBe(
      'results are busy; retry',
    );
  });

  it('never keeps a Lambda stack trace, nor the text of an SDK, DuckDB or programming error', () => {
    const sdk = lambdaCause('ResourceNotFoundException', 'Requested resource not found: Table: prod-results');
    const reason = failureReason({ Error: 'ResourceNotFoundException', Cause: sdk });
    expect(reason).toBe('internal error (ResourceNotFoundException); the logs have the details');
    expect(failureReason(new TypeError("Cannot read properties of undefined (reading 'days')"))).toBe(
      'internal error (TypeError); the logs have the details',
    );
    expect(failureReason(new InternalError('no e-mail hash key is configured'))).toBe(
      'internal error (InternalError); the logs have the details',
    );
  });

  it('keeps a States error with its cause when the cause is not a Lambda error', () => {
    expect(failureReason({ Error: 'States.TaskFailed', Cause: 'boom' })).toBe('States.TaskFailed: boom');
    expect(failureReason({ Error: 'States.Timeout' })).toBe('States.Timeout');
  });

  it('holds at most 1,000 characters', () => {
    expect(failureReason(new ValidationError('x'.repeat(5000)))).toHaveLength(1000);
  });
});
