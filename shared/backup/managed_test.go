package backup

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A managedSet gives back exactly what was added, by volume, newest added
// first, whatever the form of the id.
func TestManagedSet(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	cases := []struct {
		name string
		vol  string
		e    existing
	}{
		{name: "current id, every flag", vol: "vol-0a", e: existing{ID: "snap-0123456789abcdef0", Policy: "daily", Time: at,
			Completed: true, Protected: true, AWSBackup: true, ThisRun: true}},
		{name: "current id, highest digits", vol: "vol-0a", e: existing{ID: "snap-fffffffffffffffff", Policy: "weekly", Time: at.Add(time.Hour)}},
		{name: "current id, leading zeros", vol: "vol-0b", e: existing{ID: "snap-00000000000000001", Policy: "daily", Time: at, Completed: true}},
		{name: "old 8-digit id", vol: "vol-0b", e: existing{ID: "snap-1a2b3c4d", Policy: "daily", Time: at}},
		{name: "upper-case digits are not EC2's: kept as given", vol: "vol-0c", e: existing{ID: "snap-0123456789ABCDEF0", Policy: "daily", Time: at}},
		{name: "failed, with AWS's message", vol: "vol-0c", e: existing{ID: "snap-0123456789abcdef3", Policy: "daily", Time: at,
			Failed: true, ThisRun: true, Message: "The snapshot could not be completed"}},
		{name: "no time", vol: "vol-0c", e: existing{ID: "snap-0123456789abcdef1", Policy: "dr@copy"}},
		{name: "tags kept for a copy", vol: "vol-0d", e: existing{ID: "snap-0123456789abcdef2", Policy: "dr", Time: at,
			Tags: map[string]string{"Name": "db"}}},
	}
	m := newManagedSet()
	for _, c := range cases {
		m.add(c.vol, c.e)
	}
	if m.len() != len(cases) {
		t.Fatalf("len %d, want %d", m.len(), len(cases))
	}
	if got := m.volumes(); !slices.Equal(got, []string{"vol-0a", "vol-0b", "vol-0c", "vol-0d"}) {
		t.Errorf("volumes %v", got)
	}
	byVol := map[string][]existing{}
	for _, vol := range m.volumes() {
		byVol[vol] = slices.Collect(m.of(vol))
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Newest added first: the cases added after this one for the same volume come before it.
			later := 0
			for _, o := range cases[i+1:] {
				if o.vol == c.vol {
					later++
				}
			}
			list := byVol[c.vol]
			if later >= len(list) {
				t.Fatalf("volume %s yields %d snapshots", c.vol, len(list))
			}
			if got := list[later]; !reflect.DeepEqual(got, c.e) {
				t.Errorf("got %+v, want %+v", got, c.e)
			}
		})
	}
	if n := len(slices.Collect(m.of("vol-unknown"))); n != 0 {
		t.Errorf("an unknown volume yields %d snapshots", n)
	}
}

// A volume's own tags override its instance's; only tags a snapshot may
// copy are kept.
func TestSourceTags(t *testing.T) {
	cases := []struct {
		name           string
		instance, volm []string
		want           sourceTags
	}{
		{name: "instance only", instance: []string{"team", "web", "Name", "i"}, want: sourceTags{{"Name", "i"}, {"team", "web"}}},
		{name: "volume overrides", instance: []string{"team", "web", "Name", "i"}, volm: []string{"Name", "v", "disk", "logs"},
			want: sourceTags{{"Name", "v"}, {"disk", "logs"}, {"team", "web"}}},
		{name: "aws: and commander: tags are left out", instance: []string{"aws:cloudformation:stack-name", "s", "commander:backup", "daily"},
			volm: []string{"AWS:x", "y", "commander:protect", "true", "app", "db"}, want: sourceTags{{"app", "db"}}},
		{name: "none", want: sourceTags{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inst := sourceTagsOf(ec2Tags(c.instance...))
			before := slices.Clone(inst)
			got := inst.over(sourceTagsOf(ec2Tags(c.volm...)))
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if !slices.Equal(inst, before) {
				t.Errorf("the instance's tags changed: %v, were %v", inst, before)
			}
		})
	}
	if v, ok := lookup([]types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}, "a"); !ok || v != "1" {
		t.Errorf("lookup: %q %v", v, ok)
	}
}
