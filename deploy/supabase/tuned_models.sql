-- The tuned-model registry in Supabase: one row per tuning job (basketball_assets/core/registry.py).
-- Apply once per project (SQL editor, or psql); it is idempotent, so applying it again is harmless.
-- Only the service role reads and writes it: row-level security is on, with policies for
-- service_role alone, and anon/authenticated have no grants. SupabaseModelRegistry therefore needs
-- the service-role key in SUPABASE_KEY.

CREATE TABLE IF NOT EXISTS public.tuned_models (
  job_name text PRIMARY KEY,
  model_name text NOT NULL DEFAULT '',
  endpoint_name text NOT NULL DEFAULT '',
  base_model text NOT NULL DEFAULT '',
  parent_model text NOT NULL DEFAULT '',
  dataset_version text NOT NULL DEFAULT '',
  training_uri text NOT NULL DEFAULT '',
  validation_uri text NOT NULL DEFAULT '',
  hyperparameters jsonb NOT NULL DEFAULT '{}'::jsonb,
  billable_tokens bigint,
  cost_usd double precision,
  evaluation jsonb NOT NULL DEFAULT '{}'::jsonb,
  champion boolean NOT NULL DEFAULT false,
  created_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One champion at a time, whatever writes the table.
CREATE UNIQUE INDEX IF NOT EXISTS tuned_models_one_champion ON public.tuned_models (champion) WHERE champion;

CREATE OR REPLACE FUNCTION public.tuned_models_touch() RETURNS trigger
LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS tuned_models_touch ON public.tuned_models;
CREATE TRIGGER tuned_models_touch BEFORE UPDATE ON public.tuned_models
  FOR EACH ROW EXECUTE FUNCTION public.tuned_models_touch();

-- An evaluation's scores, and the champion flag moved in the same transaction (never two champions,
-- never none in between). Called through PostgREST's rpc; runs with the caller's rights (RLS applies).
CREATE OR REPLACE FUNCTION public.record_tuned_model_evaluation(p_job_name text, p_scores jsonb, p_champion boolean)
RETURNS void LANGUAGE plpgsql SECURITY INVOKER SET search_path = public AS $$
BEGIN
  -- Two promotions at once take turns: the second sees the first's champion and demotes it.
  PERFORM pg_advisory_xact_lock(hashtext('public.tuned_models.champion'));
  IF p_champion THEN
    UPDATE public.tuned_models SET champion = false WHERE champion AND job_name <> p_job_name;
  END IF;
  UPDATE public.tuned_models SET evaluation = coalesce(p_scores, '{}'::jsonb), champion = p_champion
    WHERE job_name = p_job_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no tuned model with job % in tuned_models: materialize tuned_model', p_job_name
      USING ERRCODE = 'P0002';
  END IF;
END $$;

ALTER TABLE public.tuned_models ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tuned_models_service_role_all ON public.tuned_models;
CREATE POLICY tuned_models_service_role_all ON public.tuned_models
  FOR ALL TO service_role USING (true) WITH CHECK (true);

REVOKE ALL ON public.tuned_models FROM PUBLIC, anon, authenticated;
GRANT SELECT, INSERT, UPDATE ON public.tuned_models TO service_role;
REVOKE ALL ON FUNCTION public.record_tuned_model_evaluation(text, jsonb, boolean) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.record_tuned_model_evaluation(text, jsonb, boolean) TO service_role;

NOTIFY pgrst, 'reload schema';
