/** A one-test scenario that report.test.ts runs in a child `node --test`, to see when the report is written. */
import { Scenario } from './report.ts';

const report = new Scenario(99, 'Report fixture');
report.test('passes', async () => {
  report.outcome('ran');
});
