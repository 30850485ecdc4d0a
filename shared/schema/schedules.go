package schema

import (
	"github.com/aws-commander/commander/shared/schedule"
)

// Schedules is the schema of the office-hours schedules document
// (COMMANDER_SCHEDULES, the stack's schedulesFile), from the schedule
// package's fields. Looser than schedule.Parse on: unique names, a time
// zone that loads, a stop that differs from its start.
func Schedules() Schema {
	clock := Schema{"type": "string", "pattern": schedule.ClockPattern}
	period := object(schedule.PeriodFields, map[string]Schema{
		"days":  {"type": "array", "minItems": 1, "uniqueItems": true, "items": Schema{"enum": schedule.DayNames}},
		"start": clock,
		"stop":  clock,
	})
	period["anyOf"] = []any{Schema{"required": []string{"start"}}, Schema{"required": []string{"stop"}}}
	period["description"] = "a start and/or a stop on some days of the week (at least one of start, stop; the validator checks that they differ)"
	sched := object(schedule.ScheduleFields, map[string]Schema{
		"name": {"type": "string", "pattern": schedule.NamePattern},
		// Local is the machine's own zone (UTC in Lambda), never what was meant.
		"timezone": {"type": "string", "minLength": 1, "not": Schema{"const": "Local"},
			"description": "the validator checks that the zone loads"},
		"enforce": {"type": "boolean"},
		"periods": {"type": "array", "minItems": 1, "items": ref("period")},
	})
	doc := object(schedule.DocumentFields, map[string]Schema{
		"schedules": {"type": "array", "minItems": 1, "items": ref("schedule")},
	})
	doc["$defs"] = Schema{"schedule": sched, "period": period}
	return root(SchedulesFile, "AWS Commander office-hours schedules document",
		"The scheduler function's schedules (COMMANDER_SCHEDULES, or the stack's schedulesFile), YAML or JSON; "+
			"generated from the declarations schedule.Parse reads (shared/schedule). "+
			"schedule.Parse also checks what this schema cannot state: unique schedule names, that a time zone loads, "+
			"and that a period's stop differs from its start. See docs/SCHEDULES.md.", doc)
}
