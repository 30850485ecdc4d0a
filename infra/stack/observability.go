package stack

import (
	"fmt"

	"github.com/aws-commander/commander/events"
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

	// EMF metrics are read with SEARCH over the Function dimension, so every
	// metric a job emits shows up without the dashboard listing it by name.
	ns := c.MetricsNamespace
	search := func(label, filter, stat string) awscloudwatch.IMetric {
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s,Function} %s', '%s', 300)`, ns, filter, stat)),
			Label:      jsii.String(label),
			Period:     five,
		})
	}
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
			search(fn, fmt.Sprintf(`Function="%s" NOT MetricName=("APICalls" OR "Duration" OR "DurationMs")`, fn), "Sum")}))
	}
	widgets := [][]awscloudwatch.IWidget{
		{awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String(fmt.Sprintf("# AWS Commander %s\nRuns, actions, errors and AWS API calls per job (EMF namespace `%s`), and Lambda's own metrics. Dead-letter queue: `%s`.", c.Stage, ns, c.Name("dlq"))),
			Width:    jsii.Number(24), Height: jsii.Number(2),
		})},
		{
			graph("Runs (invocations)", lambdaMetric("Invocations", "Sum")),
			graph("Errors", lambdaMetric("Errors", "Sum")),
			graph("Duration p95 (ms)", lambdaMetric("Duration", "p95")),
		},
		{
			graph("Throttles", lambdaMetric("Throttles", "Sum")),
			graph("AWS API calls per job (EMF)", []awscloudwatch.IMetric{search("api calls", `MetricName="APICalls"`, "Sum")}),
			graph("Job duration (EMF, ms)", []awscloudwatch.IMetric{search("duration", `MetricName=("Duration" OR "DurationMs")`, "Maximum")}),
		},
		actions[:3],
		{
			actions[3],
			graph("Failed decisions (EMF)", []awscloudwatch.IMetric{search("failed", `MetricName=("Failed" OR "AlarmReactionsFailed" OR "Errors")`, "Sum")}),
			graph("Dead-letter queue depth", []awscloudwatch.IMetric{s.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")})}),
		},
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
