import { useEffect, useMemo, useState } from 'preact/hooks';
import { download, get, post, type Me } from './api.js';
import { Chart } from './chart.js';
import { fmtDateTime, labelName, lang, T } from './i18n.js';
import { Problem } from './ui.js';

interface Alert {
  id: string;
  at: string;
  userId: string;
  username: string | null;
  severity: string;
  action: string;
  reasons: string[];
  /** The reasons in French, as the person refused was told them (absent from an older server). */
  explanations?: string[];
  evidence: { rule: string; count: number; window: string }[];
}

/**
 * The security console: live alerts with reasons and evidence, each account's risk timeline,
 * lock and unlock, incident scoping with the breach documents, the audit log's verification, and
 * an overview of accesses and alerts.
 */
export function Security({ me }: { me: Me }) {
  const [selected, setSelected] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [registerTick, setRegisterTick] = useState(0);
  const [names, setNames] = useState<Names>(new Map());
  return (
    <div class="security">
      <Waves names={names} tick={tick} />
      <div class="columns">
        <Alerts me={me} select={setSelected} changed={() => setTick((n) => n + 1)} named={setNames} />
        <div class="stack">
          {selected && <Risk userId={selected} tick={tick} changed={() => setTick((n) => n + 1)} />}
          <Overview />
          <Audit />
        </div>
      </div>
      <Incident registerChanged={() => setRegisterTick((n) => n + 1)} />
      <Register tick={registerTick} />
    </div>
  );
}

/** A rule's reason in the reader's language: the server's French explanation, or its English reason. */
function reasonText(a: Alert, i: number): string {
  return lang() === 'fr' ? (a.explanations?.[i] ?? a.reasons[i] ?? '') : (a.reasons[i] ?? '');
}

function severityName(s: string): string {
  return ({ critical: T('critique', 'critical'), high: T('élevée', 'high'), medium: T('moyenne', 'medium') } as Record<string, string>)[s] ?? s;
}

function actionName(a: string): string {
  return ({ alert: T('alerte', 'alert'), 'step-up': T('ré-authentification', 'step-up'), throttle: T('ralenti', 'throttled'), suspend: T('suspendu', 'suspended'), lock: T('verrouillé', 'locked') } as Record<string, string>)[a] ?? a;
}

/** Usernames by account id, as the alert feed names them (waves list accounts by id only). */
type Names = ReadonlyMap<string, string>;

interface Wave {
  practiceId: string | null;
  startedAt: string;
  until: string;
  contained: { userId: string; practiceId: string | null; at: string }[];
  held: string[];
  reason: string;
}

/**
 * The waves under way (several accounts contained within minutes): where, since when, which
 * accounts were contained, which were asked for a second factor; an officer ends one here.
 */
function Waves({ names, tick }: { names: Names; tick: number }) {
  const [waves, setWaves] = useState<Wave[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let stop = false;
    const load = () => get<{ waves: Wave[] }>('/security/waves').then((r) => !stop && setWaves(r.waves)).catch((e) => !stop && setError(e));
    void load();
    const timer = setInterval(load, 2000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [tick, n]);
  const end = async (practiceId: string | null) => {
    setError(null);
    try {
      await post('/security/waves/end', { practiceId });
      setN((x) => x + 1);
    } catch (e) {
      setError(e);
    }
  };
  const who = (id: string) => names.get(id) ?? id.slice(0, 8);
  if (waves.length === 0 && !error) return null;
  return (
    <section class="card wave" aria-labelledby="waves-title" data-testid="waves">
      <h2 id="waves-title">{T('Vague de compromissions en cours', 'Wave of compromised accounts under way')}</h2>
      <Problem error={error} />
      {waves.map((w) => (
        <div key={w.practiceId ?? 'platform'} class="wave-item">
          <p class="warn">
            {w.practiceId === null
              ? T('Toute la plateforme', 'The whole platform')
              : `${T('Cabinet', 'Practice')} ${w.practiceId.slice(0, 8)}`}
            {' · '}{T('depuis', 'since')} {fmtDateTime(w.startedAt)} · {T('jusqu’à', 'until')} {fmtDateTime(w.until)}
          </p>
          <p lang="fr">{w.reason}</p>
          <dl class="facts">
            <dt>{T('Comptes contenus', 'Accounts contained')}</dt>
            <dd data-testid="wave-contained">{w.contained.map((c) => `${who(c.userId)} (${fmtDateTime(c.at)})`).join(', ') || '—'}</dd>
            <dt>{T('Second facteur demandé à', 'Second factor asked of')}</dt>
            <dd data-testid="wave-held">{w.held.map(who).join(', ') || T('personne pour l’instant', 'nobody yet')}</dd>
          </dl>
          <button type="button" class="danger" onClick={() => end(w.practiceId)}>{T('Mettre fin à la vague', 'End the wave')}</button>
        </div>
      ))}
    </section>
  );
}

/** New alerts appear without a reload: the list is asked for every two seconds. */
function Alerts({ select, changed, named }: { me: Me; select: (userId: string) => void; changed: () => void; named: (n: Names) => void }) {
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stop = false;
    const load = () => get<{ alerts: Alert[] }>('/security/alerts').then((r) => {
      if (stop) return;
      setAlerts(r.alerts);
      named(new Map(r.alerts.filter((a) => a.username !== null).map((a) => [a.userId, a.username as string])));
    }).catch((e) => !stop && setError(e));
    void load();
    const timer = setInterval(load, 2000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, []);
  return (
    <section class="card" aria-labelledby="alerts-title">
      <h2 id="alerts-title">{T('Alertes', 'Alerts')} <span class="live" aria-hidden="true">●</span></h2>
      <Problem error={error} />
      {alerts !== null && alerts.length === 0 && <p class="muted">{T('Aucune alerte.', 'No alerts.')}</p>}
      <ul class="alerts" aria-live="polite" data-testid="alerts">
        {(alerts ?? []).slice(0, 50).map((a) => (
          <li key={a.id} class={`alert sev-${a.severity}`}>
            <div class="alert-head">
              <span class="time">{fmtDateTime(a.at)}</span>
              <strong>{a.username ?? a.userId.slice(0, 8)}</strong>
              <span class={`tag sev-${a.severity}`}>{severityName(a.severity)}</span>
              <span class="tag">{actionName(a.action)}</span>
            </div>
            <ul class="reasons">
              {a.reasons.map((_r, i) => (
                <li key={i} lang={lang() === 'fr' && a.explanations ? 'fr' : 'en'}>{reasonText(a, i)} <span class="muted">({a.evidence[i]?.count} / {a.evidence[i]?.window})</span></li>
              ))}
            </ul>
            <div class="actions">
              <button type="button" onClick={() => select(a.userId)}>{T('Voir le compte', 'View the account')}</button>
              <LockButtons userId={a.userId} changed={changed} />
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function LockButtons({ userId, changed }: { userId: string; changed: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const act = async (what: 'lock' | 'unlock') => {
    setError(null);
    try {
      // Four eyes: the first officer's unlock is a request (202, with the server's words), a second
      // officer's lifts the account (204).
      const r = await post<{ status?: string; message?: string } | undefined>(`/security/accounts/${userId}/${what}`);
      if (what === 'unlock' && r?.status === 'pending') {
        setDone(T(r.message ?? 'Demande enregistrée : un second responsable sécurité doit la confirmer.', 'Unlock requested: a second security officer must confirm it.'));
      } else setDone(what === 'lock' ? T('Compte verrouillé', 'Account locked') : T('Compte déverrouillé', 'Account unlocked'));
      changed();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <button type="button" class="danger" onClick={() => act('lock')}>{T('Verrouiller', 'Lock')}</button>
      <button type="button" onClick={() => act('unlock')}>{T('Déverrouiller', 'Unlock')}</button>
      {done && <span class="ok" role="status">{done}</span>}
      <Problem error={error} />
    </>
  );
}

function Risk({ userId, tick, changed }: { userId: string; tick: number; changed: () => void }) {
  const [r, setR] = useState<any | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    get(`/security/accounts/${userId}/risk`).then(setR).catch(setError);
  }, [userId, tick]);
  const times = useMemo(() => (r?.hours ?? []).map((h: any) => Date.parse(h.hour)), [r]);
  const series = useMemo(() => r ? [
    { label: T('accès', 'accesses'), values: r.hours.map((h: any) => h.accesses), color: '#1f5fa8' },
    { label: T('patients distincts', 'distinct patients'), values: r.hours.map((h: any) => h.patients), color: '#c2410c' },
    { label: T('refus', 'refused'), values: r.hours.map((h: any) => h.refused), color: '#6b21a8' },
  ] : [], [r]);
  return (
    <section class="card" aria-labelledby="risk-title">
      <h2 id="risk-title">{T('Compte', 'Account')} {r?.username ?? ''}</h2>
      <Problem error={error} />
      {r && (
        <>
          <p>
            {T('Rôle', 'Role')} : {r.role} · {T('statut', 'status')} : <strong data-testid="account-status">{r.status}</strong> · {T('état du détecteur', 'detector state')} : <strong>{actionName(r.state)}</strong>
          </p>
          {times.length > 0 ? <Chart title={T('Activité par heure (48 h)', 'Activity per hour (48 h)')} times={times} series={series} /> : <p class="muted">{T('Aucune activité sur 48 h.', 'No activity in 48 h.')}</p>}
          <ol class="timeline">
            {r.alerts.map((a: any, i: number) => <li key={i}><span class="time">{fmtDateTime(a.at)}</span> <span class="tag">{actionName(a.action)}</span> {(lang() === 'fr' && a.explanations ? a.explanations : a.reasons).join(' ; ')}</li>)}
          </ol>
          <div class="actions"><LockButtons userId={userId} changed={changed} /></div>
        </>
      )}
    </section>
  );
}

function Overview() {
  const [o, setO] = useState<any | null>(null);
  useEffect(() => {
    get('/security/overview').then(setO).catch(() => undefined);
  }, []);
  const hourTimes = useMemo(() => (o?.hours ?? []).map((h: any) => Date.parse(h.hour)), [o]);
  const hourSeries = useMemo(() => o ? [{ label: T('accès', 'accesses'), values: o.hours.map((h: any) => h.accesses), color: '#1f5fa8' }, { label: T('refus', 'refused'), values: o.hours.map((h: any) => h.refused), color: '#b91c1c' }] : [], [o]);
  const dayTimes = useMemo(() => (o?.days ?? []).map((d: any) => Date.parse(d.day)), [o]);
  const daySeries = useMemo(() => o ? [{ label: T('alertes', 'alerts'), values: o.days.map((d: any) => d.alerts), color: '#c2410c', bars: true }, { label: T('comptes contenus', 'accounts contained'), values: o.days.map((d: any) => d.contained), color: '#7f1d1d', bars: true }] : [], [o]);
  if (!o) return null;
  return (
    <section class="card" aria-labelledby="ov-title">
      <h2 id="ov-title">{T('Vue d’ensemble', 'Overview')}</h2>
      {hourTimes.length > 0 && <Chart title={T('Accès par heure', 'Accesses per hour')} times={hourTimes} series={hourSeries} />}
      {dayTimes.length > 0 && <Chart title={T('Alertes par jour', 'Alerts per day')} times={dayTimes} series={daySeries} height={140} />}
    </section>
  );
}

function Audit() {
  const [s, setS] = useState<any | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const load = () => get('/security/audit').then(setS).catch(setError);
  useEffect(() => {
    void load();
  }, []);
  const verify = async () => {
    setBusy(true);
    try {
      await post('/security/audit/verify');
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const v = s?.lastVerification;
  return (
    <section class="card" aria-labelledby="audit-title">
      <h2 id="audit-title">{T('Journal d’accès', 'Access log')}</h2>
      <Problem error={error} />
      {s && (
        <dl class="facts">
          <dt>{T('Événements', 'Events')}</dt><dd>{s.events}</dd>
          <dt>{T('Dernière tête signée', 'Last signed head')}</dt>
          <dd>{s.lastHead ? `${s.lastHead.treeSize} ${T('événements', 'events')}, ${fmtDateTime(s.lastHead.signedAt)} (${s.lastHead.keyId.slice(0, 12)}…)` : '—'}</dd>
          <dt>{T('Vérification', 'Verification')}</dt>
          <dd data-testid="audit-verify">{v ? (v.ok ? `✓ ${T('intègre', 'intact')} — ${v.events} ${T('événements', 'events')}, ${v.heads} ${T('têtes', 'heads')}, ${fmtDateTime(v.at)}` : `✗ ${v.problem}`) : T('pas encore faite', 'not run yet')}</dd>
        </dl>
      )}
      <button type="button" onClick={verify} disabled={busy}>{busy ? T('Vérification…', 'Verifying…') : T('Vérifier maintenant', 'Verify now')}</button>
    </section>
  );
}

function localIso(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function Incident({ registerChanged }: { registerChanged: () => void }) {
  const [accounts, setAccounts] = useState('');
  const [addresses, setAddresses] = useState('');
  const [countCare, setCountCare] = useState(false);
  const [from, setFrom] = useState(localIso(new Date(Date.now() - 24 * 3_600_000)));
  const [to, setTo] = useState(localIso(new Date(Date.now() + 3_600_000)));
  const [scope, setScope] = useState<any | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [contained, setContained] = useState<string | null>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    setContained(null);
    try {
      const list = (v: string) => v.split(/[\s,;]+/).filter(Boolean);
      setScope(await post('/security/incidents', {
        accounts: list(accounts), addresses: list(addresses), ...(countCare ? { countCare: true } : {}), from: new Date(from).toISOString(), to: new Date(to).toISOString(), lang: lang(),
      }));
      registerChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const contain = async () => {
    try {
      const r = await post(`/security/incidents/${scope.id}/actions`, { actions: ['lock', 'revoke-sessions', 'reset-credentials'] });
      setContained(T(`${r.accounts} compte(s) verrouillé(s), sessions révoquées, identifiants réinitialisés`, `${r.accounts} account(s) locked, sessions revoked, credentials reset`));
      registerChanged();
    } catch (e) {
      setError(e);
    }
  };
  // Documents that name patients need a second officer's approval: errors are shown, not thrown.
  const fetchDoc = async (path: string, filename: string) => {
    try {
      setError(null);
      await download(path, filename);
    } catch (e) {
      setError(e);
    }
  };
  const short = scope?.id?.slice(0, 8);
  const categories: [string, string][] = [['identity', T('identité', 'identity')], ['contacts', T('coordonnées', 'contacts')], ['nir', 'NIR'], ['appointments', T('rendez-vous', 'appointments')], ['notes', T('notes cliniques', 'clinical notes')]];
  return (
    <section class="card" aria-labelledby="inc-title">
      <h2 id="inc-title">{T('Incident : périmètre et notifications', 'Incident: scope and notifications')}</h2>
      <form class="grid" onSubmit={submit}>
        <label for="inc-accounts">{T('Comptes (identifiants, séparés par des virgules)', 'Accounts (usernames, comma-separated)')}</label>
        <input id="inc-accounts" value={accounts} onInput={(e) => setAccounts(e.currentTarget.value)} />
        <label for="inc-addresses">{T('et/ou adresses réseau de l’attaquant', 'and/or the attacker’s network addresses')}</label>
        <input id="inc-addresses" value={addresses} onInput={(e) => setAddresses(e.currentTarget.value)} />
        <label class="check">
          <input type="checkbox" checked={countCare} onChange={(e) => setCountCare(e.currentTarget.checked)} />
          {T('Compter aussi les accès du compte couverts par une relation de soins (toujours comptés pour les adresses nommées)', 'Also count the account’s accesses a care relationship covers (always counted for the addresses named)')}
        </label>
        <label for="inc-from">{T('Du', 'From')}</label>
        <input id="inc-from" type="datetime-local" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        <label for="inc-to">{T('Au', 'To')}</label>
        <input id="inc-to" type="datetime-local" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy}>{T('Établir le périmètre', 'Scope the incident')}</button>
      </form>
      <Problem error={error} />
      {scope && (
        <div class="scope" data-testid="scope">
          <p class="big">
            <strong data-testid="scope-patients">{scope.patients.length}</strong> {T('patients exposés', 'patients exposed')},{' '}
            <strong>{scope.notes.length}</strong> {T('notes cliniques', 'clinical notes')} ·{' '}
            {scope.care.accesses} {T('accès de soins (légitimes) non comptés', 'care accesses (legitimate) not counted')}
          </p>
          <table>
            <caption>{T('Par cabinet et catégorie (patients)', 'By practice and category (patients)')}</caption>
            <thead><tr><th scope="col">{T('Cabinet', 'Practice')}</th><th scope="col">{T('Patients', 'Patients')}</th>{categories.map(([k, n]) => <th key={k} scope="col">{n}</th>)}<th scope="col">{T('Étiquettes sensibles', 'Sensitive labels')}</th></tr></thead>
            <tbody>
              {scope.byPractice.map((p: any) => (
                <tr key={p.practiceId}>
                  <th scope="row">{p.name ?? p.practiceId.slice(0, 8)}</th><td>{p.patients}</td>
                  {categories.map(([k]) => <td key={k}>{p.categories[k]}</td>)}
                  <td>{Object.entries(p.labels).map(([l, n]) => `${labelName(l)} ${n}`).join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>{T('Article 34', 'Article 34')} : {scope.art34.required ? T('notification des patients requise', 'patients must be notified') : T('non requise', 'not required')} — {scope.art34.reason}</p>
          <p>{T('Les lettres, le publipostage et la liste des praticiens nomment des patients : un second responsable sécurité doit les approuver (POST /security/incidents/{id}/approve-notices, depuis son compte) ; chaque export est tracé et marqué.', 'Letters, the mail merge and the practitioners\' list name patients: a second security officer must approve them (POST /security/incidents/{id}/approve-notices, from their account); every export is audited and watermarked.')}</p>
          <div class="actions">
            <button type="button" onClick={() => download(`${scope.documents.art33}?format=pdf&lang=${lang()}`, `incident-${short}-art33.pdf`)}>{T('Notification CNIL (art. 33, PDF)', 'CNIL notification (Art. 33, PDF)')}</button>
            <button type="button" data-testid="download-art34" onClick={() => fetchDoc(`${scope.documents.art34}?format=pdf&lang=${lang()}`, `incident-${short}-art34.pdf`)}>{T('Lettres aux patients (art. 34, PDF)', 'Letters to patients (Art. 34, PDF)')}</button>
            <button type="button" onClick={() => fetchDoc(`${scope.documents.art34}?format=csv&lang=${lang()}`, `incident-${short}-art34.csv`)}>{T('Publipostage (CSV)', 'Mail merge (CSV)')}</button>
            <button type="button" onClick={() => fetchDoc(`${scope.documents.practitioners}?lang=${lang()}`, `incident-${short}-praticiens.pdf`)}>{T('Information des praticiens (PDF)', 'Practitioners (PDF)')}</button>
            <button type="button" onClick={() => download(scope.documents.record, `incident-${short}-record.json`)}>{T('Fiche incident (sans données personnelles)', 'Incident record (no personal data)')}</button>
            <button type="button" class="danger" onClick={contain}>{T('Contenir : verrouiller, révoquer, réinitialiser', 'Contain: lock, revoke, reset')}</button>
          </div>
          {contained && <p class="ok" role="status">{contained}</p>}
        </div>
      )}
    </section>
  );
}

const EVENTS: Record<string, [string, string]> = {
  detected: ['détecté', 'detected'], scoped: ['périmètre établi', 'scoped'], contained: ['contenu', 'contained'],
  'cnil-notified': ['CNIL notifiée', 'CNIL notified'], 'patients-notified': ['patients informés', 'patients notified'],
  'practitioners-notified': ['praticiens informés', 'practitioners notified'], closed: ['clos', 'closed'], note: ['note', 'note'],
};

/** The breach register (GDPR Art. 33(5)): every incident with its timeline; steps are recorded here. */
function Register({ tick }: { tick: number }) {
  const [list, setList] = useState<{ id: string; createdAt: string; kind: string; patients: number; notes: number; events: { at: string; event: string }[] }[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    get('/security/incidents').then((r) => setList(r.incidents)).catch(setError);
  }, [tick, n]);
  const step = async (id: string, event: string) => {
    try {
      await post(`/security/incidents/${id}/timeline`, { event });
      setN((x) => x + 1);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section class="card" aria-labelledby="reg-title">
      <h2 id="reg-title">{T('Registre des violations', 'Breach register')}</h2>
      <Problem error={error} />
      {list !== null && list.length === 0 && <p class="muted">{T('Aucun incident enregistré.', 'No incident recorded.')}</p>}
      {list !== null && list.length > 0 && (
        <table data-testid="register">
          <thead><tr><th scope="col">{T('Ouvert le', 'Opened')}</th><th scope="col">{T('Patients', 'Patients')}</th><th scope="col">{T('Notes', 'Notes')}</th><th scope="col">{T('Chronologie', 'Timeline')}</th><th scope="col">{T('Étape', 'Step')}</th></tr></thead>
          <tbody>
            {list.slice(0, 20).map((i) => (
              <tr key={i.id}>
                <td>{fmtDateTime(i.createdAt)}</td><td>{i.patients}</td><td>{i.notes}</td>
                <td>{i.events.map((e) => `${EVENTS[e.event] ? T(EVENTS[e.event]![0], EVENTS[e.event]![1]) : e.event} (${fmtDateTime(e.at)})`).join(' → ')}</td>
                <td>
                  {!i.events.some((e) => e.event === 'cnil-notified') && <button type="button" onClick={() => step(i.id, 'cnil-notified')}>{T('CNIL notifiée', 'CNIL notified')}</button>}
                  {!i.events.some((e) => e.event === 'closed') && <button type="button" onClick={() => step(i.id, 'closed')}>{T('Clore', 'Close')}</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
