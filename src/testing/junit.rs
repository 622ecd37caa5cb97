//! JUnit XML for CI systems: one testsuite per test file, one testcase per
//! case; a failing case carries its mismatches, a test file with bad input is
//! one testcase with an error.

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::Report;

// Written beside the XML it makes, so that testing/mod.rs (the Report)
// does not import this file back.
impl Report {
    /// JUnit XML: one testsuite per test file, one testcase per case.
    ///
    /// ```
    /// let xml = studioflow::testing::Report::default().to_junit_xml().unwrap();
    /// assert!(xml.contains("<testsuites"));
    /// ```
    pub fn to_junit_xml(&self) -> Result<String, quick_junit::SerializeError> {
        to_xml(self)
    }
}

fn to_xml(report: &Report) -> Result<String, quick_junit::SerializeError> {
    let mut junit = JunitReport::new("studioflow test");
    for file in &report.files {
        let name = file.path.display().to_string();
        let mut suite = TestSuite::new(name.as_str());
        for case in &file.cases {
            let status = if case.passed() {
                TestCaseStatus::success()
            } else {
                let text: Vec<String> = case.mismatches.iter().map(|m| m.to_string()).collect();
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(
                        text.first()
                            .and_then(|t| t.lines().next())
                            .unwrap_or_default(),
                    )
                    .set_description(text.join("\n"));
                status
            };
            let mut test_case = TestCase::new(case.name.as_str(), status);
            test_case.set_classname(name.as_str());
            suite.add_test_case(test_case);
        }
        junit.add_test_suite(suite);
    }
    // One testcase per bad file, with every mistake of the file.
    let mut bad_files: Vec<(&std::path::Path, Vec<String>)> = Vec::new();
    for error in &report.errors {
        match bad_files
            .iter_mut()
            .find(|(p, _)| *p == error.path.as_path())
        {
            Some((_, texts)) => texts.push(error.to_string()),
            None => bad_files.push((error.path.as_path(), vec![error.to_string()])),
        }
    }
    for (path, texts) in bad_files {
        let name = path.display().to_string();
        let mut suite = TestSuite::new(name.as_str());
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status
            .set_message(texts[0].lines().next().unwrap_or_default())
            .set_type("bad input")
            .set_description(texts.join("\n"));
        let mut test_case = TestCase::new("(test file)", status);
        test_case.set_classname(name.as_str());
        suite.add_test_case(test_case);
        junit.add_test_suite(suite);
    }
    junit.to_string()
}
