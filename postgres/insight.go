package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/candour-vault/candour"
)

// sqlArgs numbers query arguments as they are added.
type sqlArgs []any

func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// grantsWhere turns a scope's grants into a condition over a table with the
// columns agency, sensitivity, consent_purposes and consent_share_with, with
// the same meaning as candour.Scope. An empty scope is "false".
func grantsWhere(scope candour.Scope, args *sqlArgs) string {
	var grants []string
	for _, g := range scope.Grants {
		if len(g.Purposes) == 0 || len(g.Sensitivities) == 0 {
			continue // admits nothing
		}
		sens := make([]string, len(g.Sensitivities))
		for i, s := range g.Sensitivities {
			sens[i] = string(s)
		}
		conds := []string{
			"agency = " + args.add(g.Agency),
			"sensitivity = ANY(" + args.add(sens) + "::text[])",
			"consent_purposes @> " + args.add(purposeStrings(g.Purposes)) + "::text[]",
		}
		if g.SharedWith != "" {
			conds = append(conds, args.add(g.SharedWith)+" = ANY(consent_share_with)")
		}
		grants = append(grants, "("+strings.Join(conds, " AND ")+")")
	}
	if len(grants) == 0 {
		return "false"
	}
	return "(" + strings.Join(grants, " OR ") + ")"
}

// filtersWhere is a query's period and service filters, each starting with
// " AND".
func filtersWhere(q candour.SummaryQuery, args *sqlArgs) string {
	var where string
	for _, f := range []struct{ cond, val string }{{"period >= ", q.From}, {"period <= ", q.To}, {"service = ", q.Service}} {
		if f.val != "" {
			where += " AND " + f.cond + args.add(f.val)
		}
	}
	return where
}

// queryWhere is the condition of candour.Scope.Contains over feedback
// (consent live at now, a grant that admits the record) with q's filters.
func queryWhere(scope candour.Scope, now time.Time, q candour.SummaryQuery) (string, []any) {
	var args sqlArgs
	grants := grantsWhere(scope, &args)
	if grants == "false" {
		return "false", nil
	}
	where := "consent_withdrawn_at IS NULL AND (consent_expires_at IS NULL OR consent_expires_at > " + args.add(now) + ") AND " +
		grants + filtersWhere(q, &args)
	return where, args
}

// ReleasedPeriods returns every release, oldest period first.
func (d *DB) ReleasedPeriods(ctx context.Context) ([]candour.Release, error) {
	rows, err := d.pool.Query(ctx, `SELECT period, released_at, records FROM insight_releases ORDER BY period`)
	if err != nil {
		return nil, fmt.Errorf("select releases: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.Release, error) {
		var rel candour.Release
		err := r.Scan(&rel.Period, &rel.ReleasedAt, &rel.Records)
		rel.ReleasedAt = rel.ReleasedAt.UTC()
		return rel, err
	})
}

// PendingPeriods returns the periods up to through that hold live records
// (of the agencies of ctx) not yet released and are not released yet, oldest
// first.
func (d *DB) PendingPeriods(ctx context.Context, through string) ([]string, error) {
	var out []string
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT period FROM feedback WHERE period <> '' AND period <= $1
			AND NOT released AND consent_withdrawn_at IS NULL
			AND period NOT IN (SELECT period FROM insight_releases) ORDER BY period`, through)
		if err != nil {
			return fmt.Errorf("select pending periods: %w", err)
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return out, err
}

// ReleasePeriod releases period at at, in one transaction that sees only
// the agencies of ctx (row-level security): each record of the period
// submitted by then with consent live then is marked released and its
// analytical values are copied into the release, in one statement; per
// agency and service the number of members is kept. ECONFLICT when the
// period is already released (by this replica or another: the second to
// commit finds the release row taken and rolls back).
func (d *DB) ReleasePeriod(ctx context.Context, period string, at time.Time) (candour.Release, error) {
	rel := candour.Release{Period: period, ReleasedAt: at}
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM insight_releases WHERE period = $1)`, period).Scan(&taken); err != nil {
			return fmt.Errorf("select release: %w", err)
		}
		if taken {
			return candour.Errorf(candour.ECONFLICT, "The period %s is already released.", period)
		}
		tag, err := tx.Exec(ctx, `WITH members AS (
			UPDATE feedback SET released = true WHERE period = $1 AND consent_withdrawn_at IS NULL
				AND (consent_expires_at IS NULL OR consent_expires_at > $2) AND submitted_at <= $2
			RETURNING period, agency, service, touchpoint, channel, sensitivity, consent_purposes, consent_share_with,
				satisfaction, effort, felt_safe, felt_believed, would_recommend, age_band, sex, ethnic_group, disability,
				record_key, submitted_by, subject_hash)
			INSERT INTO insight_release_rows SELECT * FROM members`, period, at)
		if err != nil {
			return fmt.Errorf("copy release rows: %w", err)
		}
		rel.Records = int(tag.RowsAffected())
		if err := buildStrata(ctx, tx, "period = $1", period); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO insight_release_groups (agency, service, period, members, subjects, first_expiry)
			SELECT agency, service, period, count(*),
				count(DISTINCT subject_hash) + count(*) FILTER (WHERE subject_hash IS NULL),
				min(consent_expires_at) FROM feedback WHERE released AND period = $1
			GROUP BY agency, service, period`, period); err != nil {
			return fmt.Errorf("release groups: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO insight_comment_strata SELECT agency, service, period, sensitivity,
			consent_purposes, consent_share_with, submitted_by, count(*),
			count(DISTINCT subject_hash) + count(*) FILTER (WHERE subject_hash IS NULL)
			FROM feedback WHERE released AND has_comment AND period = $1
			GROUP BY agency, service, period, sensitivity, consent_purposes, consent_share_with, submitted_by`, period); err != nil {
			return fmt.Errorf("comment strata: %w", err)
		}
		tag, err = tx.Exec(ctx, `INSERT INTO insight_releases (period, released_at, records) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, period, at, rel.Records)
		if err != nil {
			return fmt.Errorf("insert release: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return candour.Errorf(candour.ECONFLICT, "The period %s is already released.", period)
		}
		return nil
	})
	return rel, err
}

// strataKey is what a stratum groups release rows by.
const strataKey = `period, agency, service, touchpoint, channel, sensitivity, consent_purposes, consent_share_with,
	age_band, sex, ethnic_group, disability, submitter`

// buildStrata sums the release rows that where selects into strata.
func buildStrata(ctx context.Context, tx pgx.Tx, where string, args ...any) error {
	_, err := tx.Exec(ctx, `INSERT INTO insight_release_strata SELECT `+strataKey+`,
		count(*), sum(record_key) % 4294967296,
		count(DISTINCT subject_hash) + count(*) FILTER (WHERE subject_hash IS NULL),
		coalesce(sum(satisfaction), 0), count(satisfaction), coalesce(sum(effort), 0), count(effort),
		count(*) FILTER (WHERE felt_safe = 'yes'), count(*) FILTER (WHERE felt_safe <> ''),
		count(*) FILTER (WHERE felt_believed = 'yes'), count(*) FILTER (WHERE felt_believed <> ''),
		count(*) FILTER (WHERE would_recommend >= 9), count(*) FILTER (WHERE would_recommend <= 6),
		count(would_recommend)
		FROM insight_release_rows WHERE `+where+` GROUP BY `+strataKey, args...)
	if err != nil {
		return fmt.Errorf("release strata: %w", err)
	}
	return nil
}

// eraseReleased deletes a subject's release rows and sums the strata of the
// months they were in again.
func eraseReleased(ctx context.Context, tx pgx.Tx, agency string, subjectHash []byte) error {
	rows, err := tx.Query(ctx, `DELETE FROM insight_release_rows WHERE agency = $1 AND subject_hash = $2 RETURNING period`, agency, subjectHash)
	if err != nil {
		return fmt.Errorf("delete subject's released rows: %w", err)
	}
	periods, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("delete subject's released rows: %w", err)
	}
	slices.Sort(periods)
	for _, p := range slices.Compact(periods) {
		if _, err := tx.Exec(ctx, `DELETE FROM insight_release_strata WHERE agency = $1 AND period = $2`, agency, p); err != nil {
			return fmt.Errorf("delete strata: %w", err)
		}
		if err := buildStrata(ctx, tx, "agency = $1 AND period = $2", agency, p); err != nil {
			return err
		}
	}
	return nil
}

// ReleaseStrata returns the release strata the scope admits that pass q's
// filters, in a transaction that sees only the scope's agencies.
func (d *DB) ReleaseStrata(ctx context.Context, scope candour.Scope, q candour.SummaryQuery) ([]candour.Stratum, error) {
	var args sqlArgs
	where := grantsWhere(scope, &args) + filtersWhere(q, &args)
	var out []candour.Stratum
	err := d.inScopeTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+strataKey+`, n, key_sum, subjects, sat_sum, sat_n, effort_sum, effort_n,
			safe_yes, safe_n, believed_yes, believed_n, promoters, detractors, recommend_n
			FROM insight_release_strata WHERE `+where, args...)
		if err != nil {
			return fmt.Errorf("select strata: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (candour.Stratum, error) {
			var (
				st       candour.Stratum
				sens     string
				purposes []string
				n        [14]int64
			)
			k := &st.ReleaseKey
			if err := row.Scan(&k.Period, &k.Agency, &k.Service, &k.Touchpoint, &k.Channel, &sens, &purposes, &k.ShareWith,
				&k.Bands.AgeBand, &k.Bands.Sex, &k.Bands.EthnicGroup, &k.Bands.Disability, &k.Submitter,
				&n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &n[6], &n[7], &n[8], &n[9], &n[10], &n[11], &n[12], &n[13]); err != nil {
				return st, err
			}
			k.Sensitivity = candour.Sensitivity(sens)
			for _, p := range purposes {
				k.Purposes = append(k.Purposes, candour.Purpose(p))
			}
			if len(k.ShareWith) == 0 {
				k.ShareWith = nil
			}
			st.N, st.KeySum, st.Subjects = int(n[0]), uint32(n[1]), int(n[2])
			st.SatSum, st.SatN, st.EffortSum, st.EffortN = int(n[3]), int(n[4]), int(n[5]), int(n[6])
			st.SafeYes, st.SafeN, st.BelievedYes, st.BelievedN = int(n[7]), int(n[8]), int(n[9]), int(n[10])
			st.Promoters, st.Detractors, st.RecommendN = int(n[11]), int(n[12]), int(n[13])
			return st, nil
		})
		return err
	})
	return out, err
}

// CommentTallies returns, for each released agency, service and month the
// scope admits that passes q's filters, how many records with comments each
// submitter recorded, as the release counted them, and how many distinct
// subjects they are (summed over strata). It reads the counts kept at
// release, one row per stratum, never a record.
func (d *DB) CommentTallies(ctx context.Context, scope candour.Scope, q candour.SummaryQuery) ([]candour.CommentTally, error) {
	var args sqlArgs
	where := grantsWhere(scope, &args) + filtersWhere(q, &args)
	var out []candour.CommentTally
	err := d.inScopeTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT agency, service, period, array_agg(submitter), array_agg(n), sum(subjects)::bigint FROM (
				SELECT agency, service, period, submitter, sum(members)::bigint AS n, sum(subjects) AS subjects
				FROM insight_comment_strata WHERE `+where+` GROUP BY agency, service, period, submitter) t
			GROUP BY agency, service, period ORDER BY agency, service, period`, args...)
		if err != nil {
			return fmt.Errorf("comment tallies: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.CommentTally, error) {
			t := candour.CommentTally{BySubmitter: map[string]int{}}
			var subs []string
			var ns []int64
			var subjects int64
			if err := r.Scan(&t.Agency, &t.Service, &t.Period, &subs, &ns, &subjects); err != nil {
				return t, err
			}
			for i, s := range subs {
				t.BySubmitter[s] = int(ns[i])
			}
			t.Subjects = int(subjects)
			return t, nil
		})
		return err
	})
	return out, err
}

// CommentMembers returns the id and record key of each live released record
// with a comment of one agency's service in one month, in scope at now.
func (d *DB) CommentMembers(ctx context.Context, scope candour.Scope, now time.Time, agency, service, period string) ([]candour.Record, error) {
	where, args := queryWhere(scope, now, candour.SummaryQuery{From: period, To: period, Service: service})
	a := sqlArgs(args)
	where += " AND agency = " + a.add(agency)
	var out []candour.Record
	err := d.inScopeTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, record_key FROM feedback WHERE released AND has_comment AND `+where, a...)
		if err != nil {
			return fmt.Errorf("comment members: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.Record, error) {
			rec := candour.Record{Agency: agency, Service: service, Period: period}
			var key int64
			err := r.Scan(&rec.ID, &key)
			rec.RecordKey = uint32(key)
			return rec, err
		})
		return err
	})
	return out, err
}

// ReleaseGroups returns, for each agency, service and released period of the
// given agencies that passes q's filters, how many records were released and
// whether all are still there with consent live at now.
func (d *DB) ReleaseGroups(ctx context.Context, agencies []string, now time.Time, q candour.SummaryQuery) ([]candour.ReleaseGroup, error) {
	if len(agencies) == 0 {
		return nil, nil
	}
	var args sqlArgs
	at := args.add(now)
	where := "agency = ANY(" + args.add(agencies) + "::text[])" + filtersWhere(q, &args)
	var out []candour.ReleaseGroup
	err := d.inScopeTx(candour.WithAgencies(ctx, agencies...), func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT agency, service, period, members, subjects,
			lost = 0 AND (first_expiry IS NULL OR first_expiry > `+at+`)
			FROM insight_release_groups WHERE `+where+` ORDER BY agency, service, period`, args...)
		if err != nil {
			return fmt.Errorf("select release groups: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.ReleaseGroup, error) {
			var g candour.ReleaseGroup
			err := r.Scan(&g.Agency, &g.Service, &g.Period, &g.Members, &g.Subjects, &g.Intact)
			return g, err
		})
		return err
	})
	return out, err
}

// lostFromRelease counts, in the release groups, the released records that
// where selects (by columns of feedback) as lost, before they are withdrawn
// or erased.
func lostFromRelease(ctx context.Context, tx pgx.Tx, where string, args ...any) error {
	_, err := tx.Exec(ctx, `UPDATE insight_release_groups AS g SET lost = g.lost + f.n
		FROM (SELECT agency, service, period, count(*) AS n FROM feedback WHERE released AND `+where+`
			GROUP BY agency, service, period) AS f
		WHERE g.agency = f.agency AND g.service = f.service AND g.period = f.period`, args...)
	if err != nil {
		return fmt.Errorf("count lost release members: %w", err)
	}
	return nil
}
