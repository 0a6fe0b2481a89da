/**
 * 监测规则: the rules in force by category, each with its condition; editors change a condition
 * in place (errors marked in the source) or add a local rule.
 */
import { DeleteOutlined, EditOutlined, PlusOutlined, UndoOutlined } from "@ant-design/icons";
import { Button, Collapse, Empty, Input, Select, Space, Tag, Typography } from "antd";
import { useMemo, useState } from "react";
import { useI18n } from "../i18n/i18n.tsx";
import type { Policy, PolicyRule, RuleError } from "../monitoring/monitoring-api.ts";
import { SeverityTag } from "../monitoring/signal-tags.tsx";
import { CelError } from "./cel-error.tsx";
import type { Draft, NewRule } from "./draft.ts";

export const CATEGORY_ORDER = [
  "income",
  "education",
  "medical",
  "housing",
  "water",
  "food_clothing",
  "expense",
  "labor",
  "eligibility",
  "assistance",
  "data_quality",
];

/** A rule as listed: one in force (maybe with a changed condition), or one added in the draft. */
interface Listed {
  rule: PolicyRule;
  added: boolean;
}

function asPolicyRule(r: NewRule): PolicyRule {
  return { ...r, code: null, source: null };
}

interface RuleItemProps {
  item: Listed;
  draft: Draft;
  editable: boolean;
  errors: RuleError[];
  editing: boolean;
  onEdit(open: boolean): void;
  onCondition(rule: PolicyRule, when: string | null): void;
  onRemove(id: string): void;
}

function RuleItem({
  item,
  draft,
  editable,
  errors,
  editing,
  onEdit,
  onCondition,
  onRemove,
}: RuleItemProps) {
  const { t } = useI18n();
  const { rule, added } = item;
  const when = draft.conditions[rule.id] ?? rule.when;
  const changed = rule.id in draft.conditions;
  const open = editing || errors.length > 0;

  return (
    <div
      className={`rule${changed || added ? " rule--changed" : ""}${errors.length ? " rule--error" : ""}`}
      data-testid={`rule-${rule.id}`}
    >
      <div className="rule__head">
        <Space size={6} wrap>
          <strong>{rule.name}</strong>
          <Typography.Text type="secondary" className="mono">
            {rule.id}
          </Typography.Text>
          {rule.code && <Tag>{rule.code}</Tag>}
          <SeverityTag severity={rule.severity} />
          {rule.verify && <Tag color="purple">{t.policy.verify}</Tag>}
          {changed && <Tag color="gold">{t.policy.changed}</Tag>}
          {added && <Tag color="green">{t.policy.added}</Tag>}
          {errors.length > 0 && <Tag color="red">{t.policy.checkErrors(errors.length)}</Tag>}
        </Space>
        {editable && (
          <Space size={4}>
            {!open && (
              <Button
                size="small"
                icon={<EditOutlined />}
                onClick={() => onEdit(true)}
                data-testid={`edit-${rule.id}`}
              >
                {t.policy.editCondition}
              </Button>
            )}
            {added && (
              <Button
                size="small"
                danger
                icon={<DeleteOutlined />}
                onClick={() => onRemove(rule.id)}
              >
                {t.policy.removeRule}
              </Button>
            )}
          </Space>
        )}
      </div>
      {open && editable ? (
        <div className="rule__editor">
          <Input.TextArea
            className="mono cel-input"
            value={when}
            autoSize={{ minRows: 2, maxRows: 10 }}
            spellCheck={false}
            status={errors.some((e) => e.part === "when") ? "error" : undefined}
            onChange={(e) => onCondition(rule, e.target.value)}
            data-testid={`condition-${rule.id}`}
            aria-label={t.policy.condition}
          />
          {errors.map((e) => (
            <CelError
              key={`${e.part}-${e.position}-${e.message}`}
              source={
                e.part === "when" ? when : (rule.evidence[e.part.replace(/^evidence\./, "")] ?? "")
              }
              error={e}
            />
          ))}
          <Space size={4} className="rule__editor-actions">
            {changed && (
              <Button size="small" icon={<UndoOutlined />} onClick={() => onCondition(rule, null)}>
                {t.policy.restoreCondition}
              </Button>
            )}
            {errors.length === 0 && (
              <Button size="small" type="text" onClick={() => onEdit(false)}>
                {t.policy.doneEditing}
              </Button>
            )}
          </Space>
        </div>
      ) : (
        <pre className="cel">{when}</pre>
      )}
      <div className="rule__meta">
        <span>
          {t.policy.message}
          {t.common.colon}
          {rule.message}
        </span>
        {rule.source && (
          <span>
            {t.policy.source}
            {t.common.colon}
            {rule.source}
          </span>
        )}
      </div>
    </div>
  );
}

interface RulesPanelProps {
  policy: Policy;
  draft: Draft;
  editable: boolean;
  errors: RuleError[];
  onCondition(rule: PolicyRule, when: string | null): void;
  onRemove(id: string): void;
  onAdd(): void;
}

export function RulesPanel({
  policy,
  draft,
  editable,
  errors,
  onCondition,
  onRemove,
  onAdd,
}: RulesPanelProps) {
  const { t } = useI18n();
  const [category, setCategory] = useState<string | undefined>(undefined);
  const [search, setSearch] = useState("");
  const [editing, setEditing] = useState<Set<string>>(new Set());
  const [active, setActive] = useState<string[]>(["income"]);

  const listed: Listed[] = useMemo(
    () => [
      ...policy.rules.map((rule) => ({ rule, added: false })),
      ...draft.added.map((r) => ({ rule: asPolicyRule(r), added: true })),
    ],
    [policy.rules, draft.added],
  );

  const q = search.trim().toLowerCase();
  const shown = listed.filter(
    (l) =>
      (!category || l.rule.category === category) &&
      (!q ||
        l.rule.name.toLowerCase().includes(q) ||
        l.rule.id.includes(q) ||
        (l.rule.code ?? "").includes(q)),
  );
  const groups = CATEGORY_ORDER.map((c) => ({
    category: c,
    items: shown.filter((l) => l.rule.category === c),
  })).filter((g) => g.items.length > 0);
  const errorsOf = (id: string) => errors.filter((e) => e.rule === id);
  // Groups with errors or a search open by themselves.
  const opened = new Set(active);
  for (const g of groups) {
    if (q || category || g.items.some((l) => errorsOf(l.rule.id).length > 0))
      opened.add(g.category);
  }

  return (
    <div className="rules-panel">
      <div className="filters">
        <Input.Search
          allowClear
          className="filters__search"
          placeholder={t.policy.searchRules}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          data-testid="rule-search"
        />
        <Select
          allowClear
          className="filters__select"
          placeholder={t.policy.allCategories}
          value={category}
          onChange={(v?: string) => setCategory(v)}
          options={CATEGORY_ORDER.map((c) => ({ value: c, label: t.monitoring.categories[c] }))}
        />
        {editable && (
          <Button icon={<PlusOutlined />} onClick={onAdd} data-testid="add-rule">
            {t.policy.addRule}
          </Button>
        )}
      </div>
      {groups.length === 0 ? (
        <Empty />
      ) : (
        <Collapse
          activeKey={[...opened]}
          onChange={(keys) => setActive(Array.isArray(keys) ? keys.map(String) : [String(keys)])}
          items={groups.map((g) => ({
            key: g.category,
            label: (
              <span>
                {t.monitoring.categories[g.category] ?? g.category}{" "}
                <Typography.Text type="secondary">({g.items.length})</Typography.Text>
              </span>
            ),
            children: g.items.map((l) => (
              <RuleItem
                key={l.rule.id}
                item={l}
                draft={draft}
                editable={editable}
                errors={errorsOf(l.rule.id)}
                editing={editing.has(l.rule.id)}
                onEdit={(open) =>
                  setEditing((prev) => {
                    const next = new Set(prev);
                    if (open) next.add(l.rule.id);
                    else next.delete(l.rule.id);
                    return next;
                  })
                }
                onCondition={onCondition}
                onRemove={onRemove}
              />
            )),
          }))}
        />
      )}
    </div>
  );
}
