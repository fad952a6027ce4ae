"""Every way a pipeline action ends reports a job result, with a message a person can use."""

import pipeline_job
import pytest
from botocore.exceptions import ClientError
from delivery_support import job_event


def test_success_reports_the_output_variables(codepipeline):
    client, stubber = codepipeline
    stubber.add_response(
        "put_job_success_result", {}, {"jobId": "job-1", "outputVariables": {"A": "1"}}
    )
    pipeline_job.run_job(
        job_event('{"X": "y"}'), lambda job: {"A": job.user_parameters["X"] and "1"}, client
    )


def test_a_crash_fails_the_action_at_once_with_its_message(codepipeline):
    client, stubber = codepipeline

    def crash(job):
        raise KeyError("Stacks")

    stubber.add_response(
        "put_job_failure_result",
        {},
        {
            "jobId": "job-1",
            "failureDetails": {"type": "JobFailed", "message": "unexpected KeyError: 'Stacks'"},
        },
    )
    pipeline_job.run_job(job_event("{}"), crash, client)


def test_malformed_user_parameters_are_named(codepipeline):
    client, stubber = codepipeline
    stubber.add_response(
        "put_job_failure_result",
        {},
        {
            "jobId": "job-1",
            "failureDetails": {
                "type": "JobFailed",
                "message": "UserParameters is not JSON (Expecting value at character 0); "
                "fix the action configuration in the pipeline",
            },
        },
    )
    pipeline_job.run_job(job_event("not json"), lambda job: {}, client)


def test_an_unresolved_variable_is_named():
    with pytest.raises(pipeline_job.ActionError, match=r"unresolved variable #\{Resolve.X\}"):
        pipeline_job.required_parameter({"A": "#{Resolve.X}"}, "A")
    with pytest.raises(pipeline_job.ActionError, match=r"UserParameters.B is missing"):
        pipeline_job.required_parameter({}, "B")


def test_failing_to_report_is_raised_not_swallowed(codepipeline):
    client, stubber = codepipeline
    stubber.add_client_error("put_job_failure_result", "ThrottlingException", "slow down")
    with pytest.raises(ClientError):
        pipeline_job.run_job(
            job_event("{}"),
            lambda job: (_ for _ in ()).throw(pipeline_job.ActionError("x")),
            client,
        )


def test_an_event_without_a_job_is_refused():
    with pytest.raises(ValueError, match=r"CodePipeline.job.id"):
        pipeline_job.run_job({}, lambda job: {}, object())


def test_a_refused_success_result_fails_the_action_with_the_reason(codepipeline):
    """PutJobSuccessResult can refuse the result (OutputVariablesSizeExceededException,
    ValidationException): the action then fails at once, naming the call and why."""
    client, stubber = codepipeline
    stubber.add_client_error(
        "put_job_success_result", "OutputVariablesSizeExceededException", "too large"
    )
    stubber.add_response(
        "put_job_failure_result",
        {},
        {
            "jobId": "job-1",
            "failureDetails": {
                "type": "JobFailed",
                "message": (
                    "the action's work finished but codepipeline:PutJobSuccessResult refused "
                    "its result (An error occurred (OutputVariablesSizeExceededException) when "
                    "calling the PutJobSuccessResult operation: too large); retry the action"
                ),
            },
        },
    )
    pipeline_job.run_job(job_event("{}"), lambda job: {"A": "1"}, client)
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["InvalidJobStateException", "JobNotFoundException"])
def test_a_job_that_takes_no_result_any_more_is_not_retried(codepipeline, code):
    """The action timed out or was already reported: raising would only make Lambda's
    asynchronous retries run the work again."""
    client, stubber = codepipeline
    stubber.add_client_error("put_job_success_result", code, "job is done")
    pipeline_job.run_job(job_event("{}"), lambda job: {"A": "1"}, client)
    stubber.add_client_error("put_job_failure_result", code, "job is done")
    pipeline_job.run_job(
        job_event("{}"),
        lambda job: (_ for _ in ()).throw(pipeline_job.ActionError("x")),
        client,
    )
    stubber.assert_no_pending_responses()
