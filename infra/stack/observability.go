package stack

import (
	"fmt"
	"strings"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// observability adds the dashboard and the stack's own alarms: each
// function's errors and the dead-letter queue's depth.
func (s *Stack) observability() {
	c := s.Config
	five := awscdk.Duration_Minutes(jsii.Number(5))
	var alarms []awscloudwatch.Alarm
	for _, fn := range events.Functions {
		alarms = append(alarms, awscloudwatch.NewAlarm(s.Stack, jsii.String(title(fn)+"ErrorsAlarm"), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(c.Name(fn, "errors")),
			AlarmDescription:   jsii.String("The " + fn + " function failed at least once in 5 minutes: see its log group /commander/" + c.Stage + "/" + fn),
			Metric:             s.Functions[fn].MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}))
	}
	alarms = append(alarms, awscloudwatch.NewAlarm(s.Stack, jsii.String("DeadLetterQueueAlarm"), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(c.Name("dlq", "depth")),
		AlarmDescription:   jsii.String("Events that no function could handle are waiting in " + c.Name("dlq")),
		Metric:             s.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	}))
	if c.OpsTopicARN != "" {
		topic := awssns.Topic_FromTopicArn(s.Stack, jsii.String("OpsTopic"), jsii.String(c.OpsTopicARN))
		for _, a := range alarms {
			a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
		}
	}

	// EMF metrics are the one vocabulary every function writes
	// (report.WriteMetrics): per run under Job, per action under Job and
	// Action. SEARCH finds each job's actions without listing them here.
	ns := c.MetricsNamespace
	search := func(label, dims, filter, stat string) awscloudwatch.IMetric {
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s,%s} %s', '%s', 300)`, ns, dims, filter, stat)),
			Label:      jsii.String(label),
			Period:     five,
		})
	}
	perRun, perAction := report.DimJob, report.DimJob+","+report.DimAction
	names := func(ms ...string) string { return `MetricName=("` + strings.Join(ms, `" OR "`) + `")` }
	lambdaMetric := func(name, stat string) []awscloudwatch.IMetric {
		var out []awscloudwatch.IMetric
		for _, fn := range events.Functions {
			out = append(out, s.Functions[fn].Metric(jsii.String(name), &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String(stat), Label: jsii.String(fn)}))
		}
		return out
	}
	graph := func(title string, metrics []awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &metrics, Width: jsii.Number(8), Height: jsii.Number(6)})
	}
	var actions []awscloudwatch.IWidget
	for _, fn := range events.Functions {
		actions = append(actions, graph("Actions by kind: "+fn, []awscloudwatch.IMetric{
			search(fn, perAction, fmt.Sprintf(`%s="%s" %s`, report.DimJob, fn, names(report.MetricDone, report.MetricPlanned, report.MetricSkipped, report.MetricFailed)), "Sum")}))
	}
	widgets := [][]awscloudwatch.IWidget{
		{awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String(fmt.Sprintf("# AWS Commander %s\nRuns, actions, errors, AWS API calls and estimated savings per job (EMF namespace `%s`), and Lambda's own metrics. Dead-letter queue: `%s`.", c.Stage, ns, c.Name("dlq"))),
			Width:    jsii.Number(24), Height: jsii.Number(2),
		})},
		{
			graph("Runs (invocations)", lambdaMetric("Invocations", "Sum")),
			graph("Errors", lambdaMetric("Errors", "Sum")),
			graph("Duration p95 (ms)", lambdaMetric("Duration", "p95")),
		},
		{
			graph("Throttles", lambdaMetric("Throttles", "Sum")),
			graph("AWS API calls per job (EMF)", []awscloudwatch.IMetric{search("api calls", perRun, names(report.MetricAPICalls), "Sum")}),
			graph("Job duration (EMF, ms)", []awscloudwatch.IMetric{search("duration", perRun, names(report.MetricDuration), "Maximum")}),
		},
		actions[:3],
		{
			actions[3],
			graph("Failed decisions and runs (EMF)", []awscloudwatch.IMetric{search("failed", perRun, names(report.MetricFailed, report.MetricFailedRuns, report.MetricErrors), "Sum")}),
			graph("Dead-letter queue depth", []awscloudwatch.IMetric{s.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")})}),
		},
		// Each run writes the monthly saving of what it removed, stopped or
		// released (or would, in a dry run): the sum per period is what the
		// job's runs in that period decided. See docs/SAVINGS.md.
		{graph("Estimated monthly savings (USD) per job", []awscloudwatch.IMetric{search("savings", perRun, names(report.MetricEstimatedMonthlySavings), "Sum")})},
	}
	rows := make([]*[]awscloudwatch.IWidget, len(widgets))
	for i := range widgets {
		rows[i] = &widgets[i]
	}
	awscloudwatch.NewDashboard(s.Stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(c.Name()),
		Widgets:       &rows,
	})
}
