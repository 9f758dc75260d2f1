import { describe, expect, it } from "vitest";
import { countChecks, countJunit, countVitest } from "./print-summary.js";

describe("test summary counting", () => {
  it("counts vitest results, a file that failed to load as a failure", () => {
    const json = JSON.stringify({
      numPassedTests: 10,
      numFailedTests: 1,
      numPendingTests: 2,
      testResults: [
        { status: "passed", assertionResults: [{}] },
        { status: "failed", assertionResults: [] },
      ],
    });
    expect(countVitest(json)).toEqual({ passed: 10, failed: 2, skipped: 2 });
  });
  it("counts pytest JUnit XML across suites", () => {
    const xml = `<?xml version="1.0"?><testsuites><testsuite name="pytest" errors="1" failures="2" skipped="3" tests="20" time="1.0"></testsuite></testsuites>`;
    expect(countJunit(xml)).toEqual({ passed: 14, failed: 3, skipped: 3 });
  });
  it("counts check lines", () => {
    expect(countChecks("pass buf lint\nfail gen fresh\n\npass breaking\n")).toEqual({ passed: 2, failed: 1, skipped: 0 });
  });
});
