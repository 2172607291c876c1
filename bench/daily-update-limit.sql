-- bench/daily-update-limit.sql — the limit of the daily update (RULES §7) on this machine: the same
-- evaluation as src/features/loans/daily-update.ts written as ONE set-based statement (plus the
-- offers, the event-order lock, pg_notify and the run record), in one transaction. Run by
-- bench/daily-update-limit.ts on a copy of the bench database, never on a real one; __AS_OF__ is
-- replaced by a checked YYYY-MM-DD date. The same rows as the code path:
-- - every CURRENT/LATE_* disbursed loan locked `for update`; its installments evaluated as of the
--   date: an unpaid one (outstanding > 0) gets status and days_past_due by dpd = asOf − due date,
--   and the late fees of the thresholds (5, 30, 60, 90, 120, 150, 180 dpd) reached and not yet
--   charged, each max(round-half-up-to-100 of (principal + interest) × bps / 10000, min fee),
--   capped per loan so late fees + total interest ≤ principal, taken in installment order then
--   threshold order (the one crossing the cap is cut, later ones are 0 but still counted as
--   applied); paid installments are never touched; only changed rows are written;
-- - the loan: status by its worst unpaid installment (PAID_OFF when none), dpd = max(worst, 0),
--   written when changed; a status change writes the history row (codes, reason
--   "daily update <asOf>", actor "system") and the status_events outbox row;
-- - OFFER_MADE applications whose offer expires before the start of asOf + 1 day in Jakarta
--   become OFFER_EXPIRED with their history and event rows; daily_update_runs is upserted.
begin;
-- JIT off: this statement's estimated cost passes jit_above_cost and compiling costs ~2 s here,
-- more than the work (the API's small statements never reach it).
set local jit = off;
select pg_advisory_xact_lock(727002);
with
params as (select date '__AS_OF__' as as_of, now() as now_ts),
locked as (
  select l.id, l.status, l.days_past_due, l.principal, l.customer_id, l.partner_id, pr.late_fee_bps, pr.min_late_fee
    from loans l join loan_products pr on pr.id = l.product_id
   where l.status in ('CURRENT','LATE_1DPD','LATE_5DPD','LATE_30DPD','LATE_60DPD','LATE_90DPD','LATE_120DPD','LATE_150DPD','LATE_180DPD')
     and l.disbursed_at is not null
   order by l.id
     for update of l),
inst as (
  select i.id, i.loan_id, i.installment_number, i.status, i.days_past_due, i.late_fee_due, i.late_fee_thresholds_applied,
         i.principal_due, i.interest_due,
         (select as_of from params) - i.due_date as dpd,
         i.principal_due + i.interest_due + i.late_fee_due - i.paid_amount > 0 as unpaid
    from payments i join locked l on l.id = i.loan_id),
room as (
  select l.id as loan_id, greatest(l.principal - sum(i.interest_due) - sum(i.late_fee_due), 0) as room
    from locked l join inst i on i.loan_id = l.id group by l.id, l.principal),
planned as ( -- one row per (unpaid installment, threshold reached and not yet charged)
  select i.id, i.loan_id, i.installment_number, k,
         greatest(((i.principal_due + i.interest_due) * l.late_fee_bps + 500000) / 1000000 * 100, l.min_late_fee) as amount
    from inst i join locked l on l.id = i.loan_id
   cross join lateral generate_series(i.late_fee_thresholds_applied + 1,
         (select count(*)::int from unnest(array[5,30,60,90,120,150,180]) t where i.dpd >= t)) as k
   where i.unpaid),
fees as (
  select p.id, count(*)::int as n, sum(greatest(least(p.amount, r.room - (p.cum - p.amount)), 0)) as fee,
         count(*) filter (where least(p.amount, r.room - (p.cum - p.amount)) > 0)::int as charged
    from (select planned.*, sum(amount) over (partition by loan_id order by installment_number, k) as cum from planned) p
    join room r on r.loan_id = p.loan_id
   group by p.id),
evaluated as (
  select i.id, i.status, i.days_past_due, i.late_fee_due, i.late_fee_thresholds_applied,
         case when i.dpd < -3 then 'NOT_DUE' when i.dpd < 0 then 'DUE_IN_3_DAYS' when i.dpd = 0 then 'DUE_TODAY'
              when i.dpd >= 180 then 'OVERDUE_180DPD' when i.dpd >= 150 then 'OVERDUE_150DPD' when i.dpd >= 120 then 'OVERDUE_120DPD'
              when i.dpd >= 90 then 'OVERDUE_90DPD' when i.dpd >= 60 then 'OVERDUE_60DPD' when i.dpd >= 30 then 'OVERDUE_30DPD'
              when i.dpd >= 5 then 'OVERDUE_5DPD' else 'OVERDUE_1DPD' end as new_status,
         greatest(i.dpd, 0) as new_dpd,
         i.late_fee_due + coalesce(f.fee, 0) as new_fee,
         i.late_fee_thresholds_applied + coalesce(f.n, 0) as new_thresholds
    from inst i left join fees f on f.id = i.id
   where i.unpaid),
upd_inst as (
  update payments p
     set status = e.new_status, days_past_due = e.new_dpd, late_fee_due = e.new_fee,
         late_fee_thresholds_applied = e.new_thresholds, updated_at = (select now_ts from params)
    from evaluated e
   where p.id = e.id
     and (e.new_status <> e.status or e.new_dpd <> e.days_past_due or e.new_fee <> e.late_fee_due
          or e.new_thresholds <> e.late_fee_thresholds_applied)
  returning p.id),
loan_eval as (
  select l.id, l.status, l.days_past_due, l.customer_id, l.partner_id, w.worst,
         case when w.worst is null then 'PAID_OFF' when w.worst <= 0 then 'CURRENT'
              when w.worst >= 180 then 'LATE_180DPD' when w.worst >= 150 then 'LATE_150DPD' when w.worst >= 120 then 'LATE_120DPD'
              when w.worst >= 90 then 'LATE_90DPD' when w.worst >= 60 then 'LATE_60DPD' when w.worst >= 30 then 'LATE_30DPD'
              when w.worst >= 5 then 'LATE_5DPD' else 'LATE_1DPD' end as new_status,
         greatest(coalesce(w.worst, 0), 0) as new_dpd
    from locked l
    join (select loan_id, max(dpd) filter (where unpaid) as worst from inst group by loan_id) w on w.loan_id = l.id),
upd_loans as (
  update loans l set status = e.new_status, days_past_due = e.new_dpd, updated_at = (select now_ts from params)
    from loan_eval e
   where l.id = e.id and (e.new_status <> e.status or e.new_dpd <> e.days_past_due)
  returning l.id),
moved as (select * from loan_eval where new_status <> status),
hist as (
  insert into status_changes (entity_type, entity_id, from_code, to_code, reason, actor, at)
  select 'LOAN', m.id, bench_loan_status_code(m.status), bench_loan_status_code(m.new_status),
         'daily update ' || (select as_of from params), 'system', (select now_ts from params)
    from moved m order by m.id
  returning 1),
ev as (
  insert into status_events (entity_type, entity_id, customer_id, partner_id, from_status, to_status, reason, actor, at)
  select 'LOAN', m.id, m.customer_id, m.partner_id, m.status, m.new_status,
         'daily update ' || (select as_of from params), 'system', (select now_ts from params)
    from moved m order by m.id
  returning 1)
insert into daily_update_runs (as_of, payments_updated, loans_updated, late_fees_applied, offers_expired, ran_at)
select (select as_of from params), (select count(*) from upd_inst), (select count(*) from upd_loans),
       coalesce((select sum(charged) from fees), 0), 0, (select now_ts from params)
  from (select count(*) from hist) h, (select count(*) from ev) e
on conflict (as_of) do update set payments_updated = excluded.payments_updated, loans_updated = excluded.loans_updated,
  late_fees_applied = excluded.late_fees_applied, ran_at = excluded.ran_at;

with
expiring as (
  select a.id, a.status, a.customer_id, a.partner_id from loan_applications a
   where a.status = 'OFFER_MADE'
     and a.offer_expires_at < ((date '__AS_OF__' + 1)::timestamp at time zone 'Asia/Jakarta')
   order by a.id for update),
upd as (update loan_applications a set status = 'OFFER_EXPIRED', updated_at = now() from expiring e where a.id = e.id returning a.id),
hist as (
  insert into status_changes (entity_type, entity_id, from_code, to_code, reason, actor, at)
  select 'APPLICATION', e.id, 140, 143, 'offer expired (daily update __AS_OF__)', 'system', now() from expiring e order by e.id returning 1),
ev as (
  insert into status_events (entity_type, entity_id, customer_id, partner_id, from_status, to_status, reason, actor, at)
  select 'APPLICATION', e.id, e.customer_id, e.partner_id, 'OFFER_MADE', 'OFFER_EXPIRED', 'offer expired (daily update __AS_OF__)', 'system', now()
    from expiring e order by e.id returning 1)
update daily_update_runs set offers_expired = (select count(*) from upd) + 0 * ((select count(*) from hist) + (select count(*) from ev))
 where as_of = date '__AS_OF__';
select pg_notify('status_events', '');
commit;
