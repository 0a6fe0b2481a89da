/**
 * 政策规则 — the policy in force for the user's county (parameters, rules by category, deadlines,
 * measures) and, for county editors, a draft: changed parameters and conditions, checked as
 * they are typed (errors marked where they are), previewed against the registry, and
 * published as a new version that extends the one in force (the server re-sweeps with it).
 */
import {
  CheckCircleFilled,
  CloseCircleFilled,
  EyeOutlined,
  RightOutlined,
  SafetyOutlined,
  SendOutlined,
  UndoOutlined,
} from "@ant-design/icons";
import {
  Alert,
  App,
  Button,
  Card,
  Collapse,
  Descriptions,
  Popconfirm,
  Result,
  Skeleton,
  Space,
  Spin,
  Tabs,
  Tag,
  Tooltip,
  Typography,
} from "antd";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, isAbort } from "../api/client.ts";
import { errorText, useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import {
  monitoringApi,
  type ParamValue,
  type Policy,
  type PolicyRule,
  type PreviewResult,
  type RuleError,
} from "../monitoring/monitoring-api.ts";
import {
  changeCount,
  type Draft,
  draftRules,
  draftYaml,
  EMPTY_DRAFT,
  webPolicyId,
  withCondition,
  withParameter,
} from "../policy/draft.ts";
import { NewRuleModal } from "../policy/new-rule-modal.tsx";
import { ParametersTable } from "../policy/parameters-table.tsx";
import { PreviewPanel } from "../policy/preview-panel.tsx";
import { RulesPanel } from "../policy/rules-panel.tsx";
import { rootRegionOf, useUser } from "../session/session.tsx";

type CheckState =
  | { status: "idle" }
  | { status: "checking" }
  | { status: "ok" }
  | { status: "errors"; errors: RuleError[] }
  | { status: "failed"; message: string };

const CHECK_DELAY_MS = 400;

export function PolicyPage() {
  const { t } = useI18n();
  const user = useUser();
  const { message, modal } = App.useApp();
  const showError = useApiError();
  const region = rootRegionOf(user);
  const editable = user.can.includes("policy.edit");

  const [policy, setPolicy] = useState<Policy | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [check, setCheck] = useState<CheckState>({ status: "idle" });
  const [tab, setTab] = useState("rules");
  const [adding, setAdding] = useState(false);
  const [preview, setPreview] = useState<{ result: PreviewResult; yaml: string } | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [previewMissing, setPreviewMissing] = useState(false);
  const [publishing, setPublishing] = useState(false);
  const [loads, setLoads] = useState(0);
  const previewRef = useRef<HTMLDivElement>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a publication reloads the policy
  useEffect(() => {
    const ctrl = new AbortController();
    monitoringApi
      .policy(region, ctrl.signal)
      .then(setPolicy)
      .catch((e: unknown) => !ctrl.signal.aborted && setFailure(e));
    return () => ctrl.abort();
  }, [region, loads]);

  const changes = changeCount(draft);
  /** The id the draft is published under: new for every version of the policy in force. */
  const draftId = useMemo(() => (policy ? webPolicyId(policy, region) : ""), [policy, region]);
  const yaml = useMemo(
    () => (policy ? draftYaml(policy, region, draft, draftId) : ""),
    [policy, region, draft, draftId],
  );

  // Every edit is checked shortly after typing stops; a newer edit cancels the older check.
  useEffect(() => {
    if (!editable || changes === 0) {
      setCheck({ status: "idle" });
      return;
    }
    const ctrl = new AbortController();
    setCheck({ status: "checking" });
    const timer = window.setTimeout(() => {
      monitoringApi
        .check(yaml, ctrl.signal)
        .then((r) => setCheck(r.ok ? { status: "ok" } : { status: "errors", errors: r.errors }))
        .catch((e: unknown) => {
          if (isAbort(e) || ctrl.signal.aborted) return;
          setCheck({ status: "failed", message: errorText(e, t) });
        });
    }, CHECK_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [yaml, changes, editable, t]);

  const errors = check.status === "errors" ? check.errors : [];
  const ruleIds = useMemo(
    () => new Set([...(policy?.rules ?? []).map((r) => r.id), ...draft.added.map((r) => r.id)]),
    [policy, draft.added],
  );
  /** Errors no rule on screen can show: the file's own, or a rule's evidence. */
  const otherErrors = errors.filter((e) => !ruleIds.has(e.rule));
  const ruleNames = useMemo(
    () =>
      new Map([
        ...(policy?.rules ?? []).map((r) => [r.id, r.name] as const),
        ...draft.added.map((r) => [r.id, r.name] as const),
      ]),
    [policy, draft.added],
  );

  const onParameter = useCallback(
    (name: string, value: ParamValue | null) => {
      if (policy) setDraft((d) => withParameter(d, policy, name, value));
    },
    [policy],
  );

  const onCondition = useCallback((rule: PolicyRule, when: string | null) => {
    setDraft((d) => {
      const at = d.added.findIndex((r) => r.id === rule.id);
      if (at < 0) return withCondition(d, rule, when);
      const added = [...d.added];
      added[at] = { ...added[at]!, when: when ?? added[at]!.when };
      return { ...d, added };
    });
  }, []);

  const runPreview = async () => {
    setPreviewing(true);
    try {
      const result = await monitoringApi.preview({
        region,
        parameters: draft.parameters,
        rules: draftRules(draft),
      });
      setPreview({ result, yaml });
      window.setTimeout(() => previewRef.current?.scrollIntoView({ behavior: "smooth" }), 50);
    } catch (e) {
      if (e instanceof ApiError && e.code === "route_not_found") {
        setPreviewMissing(true);
        message.info(t.policy.previewUnavailable);
      } else showError(e);
    } finally {
      setPreviewing(false);
    }
  };

  /** Saves the draft as a version and publishes it; the server re-sweeps with it at once. */
  const publish = async () => {
    setPublishing(true);
    try {
      const saved = await monitoringApi.saveDraft(yaml);
      const { sweep } = await monitoringApi.publish(saved.id);
      modal.success({
        title: t.policy.published(saved.policyId),
        width: 480,
        content: (
          <Descriptions column={1} size="small" bordered data-testid="publish-result">
            <Descriptions.Item label={t.monitoring.sweepHouseholds}>
              {t.monitoring.households(sweep.households)}
            </Descriptions.Item>
            <Descriptions.Item label={t.monitoring.sweepOpened}>
              {t.monitoring.items(sweep.signals.opened)}
            </Descriptions.Item>
            <Descriptions.Item label={t.monitoring.sweepResolved}>
              {t.monitoring.items(sweep.signals.resolved)}
            </Descriptions.Item>
            <Descriptions.Item label={t.monitoring.sweepOpen}>
              {t.monitoring.items(sweep.signals.open)}
            </Descriptions.Item>
          </Descriptions>
        ),
      });
      setDraft(EMPTY_DRAFT);
      setPreview(null);
      setLoads((n) => n + 1);
    } catch (e) {
      showError(e);
    } finally {
      setPublishing(false);
    }
  };

  if (failure) {
    return (
      <div className="page">
        <Card>
          <Result status="warning" title={t.policy.title} subTitle={errorText(failure, t)} />
        </Card>
      </div>
    );
  }
  if (!policy) {
    return (
      <div className="page">
        <Card>
          <Skeleton active paragraph={{ rows: 12 }} />
        </Card>
      </div>
    );
  }

  const checkBlocks = check.status === "errors" || check.status === "checking";
  const publishDisabledReason =
    changes === 0
      ? t.policy.previewNeedsChanges
      : check.status === "ok"
        ? null
        : check.status === "checking"
          ? t.policy.checking
          : t.policy.previewBlocked;
  const previewDisabledReason = previewMissing
    ? t.policy.previewUnavailable
    : changes === 0
      ? t.policy.previewNeedsChanges
      : check.status === "errors"
        ? t.policy.previewBlocked
        : null;

  return (
    <div className="page policy-page">
      <Card
        className="page__card policy-head"
        title={
          <Space wrap>
            <SafetyOutlined />
            <span>{t.policy.title}</span>
            <Typography.Text type="secondary" className="mono" style={{ fontWeight: "normal" }}>
              {policy.id}
            </Typography.Text>
            <Tag color="blue">{t.policy.year(policy.year)}</Tag>
          </Space>
        }
        extra={
          editable && (
            <Space wrap>
              <Popconfirm
                title={t.policy.discardConfirm}
                okText={t.common.confirm}
                cancelText={t.common.cancel}
                onConfirm={() => {
                  setDraft(EMPTY_DRAFT);
                  setPreview(null);
                }}
                disabled={changes === 0}
              >
                <Button icon={<UndoOutlined />} disabled={changes === 0}>
                  {t.policy.discard}
                </Button>
              </Popconfirm>
              <Tooltip title={previewDisabledReason}>
                <Button
                  type="primary"
                  icon={<EyeOutlined />}
                  loading={previewing}
                  disabled={previewDisabledReason !== null || checkBlocks}
                  onClick={runPreview}
                  data-testid="preview-button"
                >
                  {previewing ? t.policy.previewing : t.policy.preview}
                </Button>
              </Tooltip>
              <Tooltip title={publishDisabledReason ?? t.policy.publishHint}>
                <Button
                  icon={<SendOutlined />}
                  disabled={publishDisabledReason !== null}
                  loading={publishing}
                  onClick={() =>
                    modal.confirm({
                      title: t.policy.publishConfirmTitle,
                      content: t.policy.publishConfirm(draftId),
                      okText: t.policy.publish,
                      cancelText: t.common.cancel,
                      onOk: publish,
                    })
                  }
                  data-testid="publish"
                >
                  {t.policy.publish}
                </Button>
              </Tooltip>
            </Space>
          )
        }
      >
        <div className="policy-chain">
          <Typography.Text type="secondary">
            {t.policy.chain}
            {t.common.colon}
          </Typography.Text>
          {policy.chain.map((id, i) => (
            <span key={id} className="policy-chain__item">
              {i > 0 && <RightOutlined className="policy-chain__arrow" />}
              <Tag className="mono" color={id === policy.id ? "blue" : undefined}>
                {id}
              </Tag>
            </span>
          ))}
        </div>
        {editable ? (
          <DraftStatus changes={changes} check={check} yaml={yaml} otherErrors={otherErrors} />
        ) : (
          <Alert type="info" showIcon title={t.policy.readOnly} className="policy-draft" />
        )}
      </Card>

      {preview && (
        <div ref={previewRef}>
          <PreviewPanel
            result={preview.result}
            stale={preview.yaml !== yaml}
            ruleNames={ruleNames}
          />
        </div>
      )}

      <Card className="page__card">
        <Tabs
          activeKey={tab}
          onChange={setTab}
          items={[
            {
              key: "rules",
              label: `${t.policy.rules}（${policy.rules.length + draft.added.length}）`,
              children: (
                <RulesPanel
                  policy={policy}
                  draft={draft}
                  editable={editable}
                  errors={errors}
                  onCondition={onCondition}
                  onRemove={(id) =>
                    setDraft((d) => ({ ...d, added: d.added.filter((r) => r.id !== id) }))
                  }
                  onAdd={() => setAdding(true)}
                />
              ),
            },
            {
              key: "parameters",
              label: (
                <span data-testid="tab-parameters">
                  {t.policy.parameters}（{Object.keys(policy.parameters).length}）
                  {Object.keys(draft.parameters).length > 0 && (
                    <Tag color="gold" className="tab-badge">
                      {Object.keys(draft.parameters).length}
                    </Tag>
                  )}
                </span>
              ),
              children: (
                <ParametersTable
                  policy={policy}
                  draft={draft.parameters}
                  editable={editable}
                  onChange={onParameter}
                />
              ),
            },
            {
              key: "deadlines",
              label: t.policy.deadlines,
              children: (
                <Space orientation="vertical" size="large" style={{ width: "100%" }}>
                  <Descriptions bordered size="small" column={{ xs: 1, md: 2 }}>
                    {Object.entries(policy.deadlines).map(([k, v]) => (
                      <Descriptions.Item key={k} label={t.policy.deadlineLabels[k] ?? k}>
                        <span className="num">{v}</span>
                      </Descriptions.Item>
                    ))}
                    {Object.entries(policy.quotas).map(([k, v]) => (
                      <Descriptions.Item key={k} label={t.policy.quotaLabels[k] ?? k}>
                        <span className="num">{v}</span>
                      </Descriptions.Item>
                    ))}
                  </Descriptions>
                </Space>
              ),
            },
            {
              key: "measures",
              label: t.policy.measures,
              children: (
                <div className="measures">
                  {policy.measures.map((m) => (
                    <Tag
                      key={m.code}
                      color={m.development ? "green" : undefined}
                      className="measures__tag"
                    >
                      {m.name}
                      <Typography.Text type="secondary" className="measures__category">
                        {m.category}
                        {m.development ? ` · ${t.policy.development}` : ""}
                      </Typography.Text>
                    </Tag>
                  ))}
                </div>
              ),
            },
          ]}
        />
      </Card>

      <NewRuleModal
        open={adding}
        taken={ruleIds}
        onClose={() => setAdding(false)}
        onAdd={(rule) => {
          setDraft((d) => ({ ...d, added: [...d.added, rule] }));
          setAdding(false);
          setTab("rules");
        }}
      />
    </div>
  );
}

function DraftStatus({
  changes,
  check,
  yaml,
  otherErrors,
}: {
  changes: number;
  check: CheckState;
  yaml: string;
  otherErrors: RuleError[];
}) {
  const { t } = useI18n();
  if (changes === 0) {
    return <Alert type="info" showIcon title={t.policy.draftNone} className="policy-draft" />;
  }
  const status =
    check.status === "checking" ? (
      <span>
        <Spin size="small" /> {t.policy.checking}
      </span>
    ) : check.status === "ok" ? (
      <Typography.Text type="success" data-testid="check-ok">
        <CheckCircleFilled /> {t.policy.checkOk}
      </Typography.Text>
    ) : check.status === "errors" ? (
      <Typography.Text type="danger" data-testid="check-errors">
        <CloseCircleFilled /> {t.policy.checkErrors(check.errors.length)}
      </Typography.Text>
    ) : check.status === "failed" ? (
      <Typography.Text type="danger">{check.message}</Typography.Text>
    ) : null;

  return (
    <div className={`policy-draft policy-draft--${check.status}`} data-testid="draft-status">
      <div className="policy-draft__line">
        <Tag color="gold">{t.policy.draftChanges(changes)}</Tag>
        {status}
      </div>
      {otherErrors.length > 0 && (
        <ul className="policy-draft__errors">
          {otherErrors.map((e) => (
            <li key={`${e.rule}-${e.part}-${e.message}`}>
              <strong>{e.rule ? t.policy.errorIn(e.rule, e.part) : t.policy.fileError}</strong>
              {t.common.colon}
              {e.message}
            </li>
          ))}
        </ul>
      )}
      <Collapse
        ghost
        size="small"
        items={[
          {
            key: "yaml",
            label: t.policy.draftYaml,
            children: (
              <pre className="policy-draft__yaml" data-testid="draft-yaml">
                {yaml}
              </pre>
            ),
          },
        ]}
      />
    </div>
  );
}
