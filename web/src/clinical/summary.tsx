import type { ComponentChildren } from 'preact';
import { put } from '../api.js';
import { fmtDate, fmtDateTime, T } from '../i18n.js';
import { Problem } from '../ui.js';
import { AllergyForm, ProblemForm, VaccinationForm } from './add-forms.js';
import { Act, Labels, Section } from './fields.js';
import { searchAll, useLoad, type Listing } from './load.js';
import { codeIn, conceptText, ICD10, loincOf, VITAL, vitalText } from './read.js';
import { problemResolved, treatmentStopped } from './write.js';

/**
 * The synthesis a GP reads before seeing the patient: active problems, allergies, current
 * treatments, the last vital signs, vaccinations and the last consultations, each with its add
 * form where one makes sense.
 */
interface Summary {
  readonly problems: Listing;
  readonly allergies: Listing;
  readonly treatments: Listing;
  readonly vitals: Listing;
  readonly vaccinations: Listing;
  readonly encounters: Listing;
}

async function loadSummary(patientId: string): Promise<Summary> {
  // The problems first, alone: without a care relationship the server refuses every clinical
  // type, and one refusal is enough to say so (no burst of five more).
  const problems = await searchAll('Condition', patientId, { 'clinical-status': 'active' });
  const [allergies, treatments, vitals, vaccinations, encounters] = await Promise.all([
    searchAll('AllergyIntolerance', patientId, { 'clinical-status': 'active' }),
    searchAll('MedicationRequest', patientId, { status: 'active' }),
    // The 50 newest measurements hold the last of each kind for any patient seen in the last months.
    searchAll('Observation', patientId, { category: 'vital-signs' }),
    searchAll('Immunization', patientId),
    searchAll('Encounter', patientId),
  ]);
  return { problems, allergies, treatments, vitals, vaccinations, encounters };
}

const LAST_VITALS: readonly (readonly [string, () => string])[] = [
  [VITAL.weight, () => T('Poids', 'Weight')],
  [VITAL.height, () => T('Taille', 'Height')],
  [VITAL.bmi, () => T('IMC', 'BMI')],
  [VITAL.bloodPressure, () => T('Pression artérielle', 'Blood pressure')],
  [VITAL.heartRate, () => T('Fréquence cardiaque', 'Heart rate')],
  [VITAL.temperature, () => T('Température', 'Temperature')],
];

interface Props {
  readonly patientId: string;
  readonly encounterId: string | null;
  readonly version: number;
  readonly changed: () => void;
}

export function SummaryView(p: Props) {
  const s = useLoad(() => loadSummary(p.patientId), [p.patientId, p.version]);
  if (s.state === 'loading') return <p class="muted">{T('Chargement du dossier…', 'Loading the record…')}</p>;
  if (s.state === 'refused' || s.state === 'failed') return <Problem error={s.error} />;
  const d = s.value;
  const cuts = [...new Set(Object.values(d).map((l: Listing) => l.cut).filter((c): c is string => c !== null))];
  const form = { patientId: p.patientId, encounterId: p.encounterId, done: p.changed };
  return (
    <div class="summary">
      {cuts.map((c) => <p key={c} class="warn" role="status">{c}</p>)}
      <Section
        id="sum-problems" title={T('Problèmes actifs', 'Active problems')}
        add={{ label: T('Ajouter un problème', 'Add a problem'), form: <ProblemForm {...form} /> }}
      >
        <Listed items={d.problems.items} none={T('Aucun problème actif.', 'No active problem.')} item={(c) => (
          <>
            <span class="code">{codeIn(c.code, ICD10) ?? ''}</span>
            <span class="grow">{conceptText(c.code)}<Labels of={c} /></span>
            {c.onsetDateTime && <span class="muted">{T('depuis', 'since')} {fmtDate(c.onsetDateTime)}</span>}
            <Act
              label={T('Résolu', 'Resolved')} what={conceptText(c.code)} done={p.changed}
              act={() => put(`/fhir/Condition/${c.id}`, problemResolved(c, new Date()), c.meta.versionId)}
            />
          </>
        )} />
      </Section>
      <Section
        id="sum-allergies" title={T('Allergies et intolérances', 'Allergies and intolerances')}
        add={{ label: T('Ajouter une allergie', 'Add an allergy'), form: <AllergyForm {...form} /> }}
      >
        <Listed items={d.allergies.items} none={T('Aucune allergie connue.', 'No known allergy.')} item={(a) => (
          <>
            <span class="grow allergy">{conceptText(a.code)}</span>
            {a.criticality === 'high' && (
              <span class="tag sev-critical">{T('criticité élevée', 'high criticality')}</span>
            )}
            {(a.reaction ?? []).flatMap((r: any) => r.manifestation ?? []).map((m: any, i: number) => (
              <span key={i} class="muted">{conceptText(m)}</span>
            ))}
          </>
        )} />
      </Section>
      <Section id="sum-treatments" title={T('Traitements en cours', 'Current treatments')}>
        <Listed items={d.treatments.items} none={T('Aucun traitement.', 'No treatment.')} item={(m) => (
          <>
            <span class="grow">
              <strong>{conceptText(m.medicationCodeableConcept)}</strong><Labels of={m} />
              {' — '}{m.dosageInstruction?.[0]?.text ?? ''}
              {m.substitution?.allowedBoolean === false && (
                <span class="tag">{T('non substituable', 'not substitutable')} ({m.substitution.reason?.text})</span>
              )}
            </span>
            <span class="muted">{m.authoredOn ? fmtDate(m.authoredOn) : ''}</span>
            <Act
              label={T('Arrêter', 'Stop')} what={conceptText(m.medicationCodeableConcept)} done={p.changed}
              act={() => put(`/fhir/MedicationRequest/${m.id}`, treatmentStopped(m), m.meta.versionId)}
            />
          </>
        )} />
      </Section>
      <Section id="sum-vitals" title={T('Dernières constantes', 'Last vital signs')}>
        <LastVitals vitals={d.vitals.items} />
      </Section>
      <Section
        id="sum-vaccinations" title={T('Vaccinations', 'Vaccinations')}
        add={{ label: T('Ajouter une vaccination', 'Add a vaccination'), form: <VaccinationForm {...form} /> }}
      >
        <Listed items={d.vaccinations.items} none={T('Aucune vaccination.', 'No vaccination.')} item={(v) => (
          <>
            <span class="time">{fmtDate(v.occurrenceDateTime)}</span>
            <span class="grow">{conceptText(v.vaccineCode)}</span>
            {v.status === 'not-done' && <span class="tag">{T('non fait', 'not done')}</span>}
            {v.lotNumber && <span class="muted">{T('lot', 'lot')} {v.lotNumber}</span>}
          </>
        )} />
      </Section>
      <Section id="sum-encounters" title={T('Dernières consultations', 'Last consultations')}>
        <Listed items={d.encounters.items.slice(0, 5)} none={T('Aucune consultation.', 'No visit.')} item={(e) => (
          <>
            <span class="time">{fmtDate(e.period?.start)}</span>
            <span class="grow">{(e.reasonCode ?? []).map(conceptText).join(' ; ') || '—'}</span>
            {e.status === 'in-progress' && <span class="tag">{T('en cours', 'in progress')}</span>}
          </>
        )} />
      </Section>
    </div>
  );
}

/** A section's resources as a list, or the words that say there are none. */
function Listed({ items, none, item }: { items: readonly any[]; none: string; item: (r: any) => ComponentChildren }) {
  if (items.length === 0) return <p class="muted">{none}</p>;
  return <ul class="list">{items.map((r) => <li key={r.id}>{item(r)}</li>)}</ul>;
}

/** The last measurement of each vital sign, from the newest first. */
function LastVitals({ vitals }: { vitals: readonly any[] }) {
  return (
    <table class="compact">
      <caption class="sr-only">{T('Dernières constantes', 'Last vital signs')}</caption>
      <thead>
        <tr>
          <th scope="col">{T('Mesure', 'Measure')}</th>
          <th scope="col">{T('Valeur', 'Value')}</th>
          <th scope="col">{T('Date', 'Date')}</th>
        </tr>
      </thead>
      <tbody>
        {LAST_VITALS.map(([code, name]) => {
          const o = vitals.find((x) => loincOf(x) === code);
          return (
            <tr key={code}>
              <th scope="row">{name()}</th>
              <td>{o ? vitalText(o) : '—'}</td>
              <td>{o ? fmtDateTime(o.effectiveDateTime) : ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
