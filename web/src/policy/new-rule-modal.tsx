/** 新增本地规则: a whole new rule for the draft; its condition is checked with the rest. */
import { Form, Input, Modal, Select, Switch } from "antd";
import { useLayoutEffect } from "react";
import { useI18n } from "../i18n/i18n.tsx";
import { type NewRule, parseEvidence } from "./draft.ts";
import { CATEGORY_ORDER } from "./rules-panel.tsx";

interface Values {
  id: string;
  name: string;
  category: string;
  severity: string;
  verify: boolean;
  when: string;
  message: string;
  evidence?: string;
}

interface NewRuleModalProps {
  open: boolean;
  /** Ids already in use (in force or added). */
  taken: ReadonlySet<string>;
  onClose(): void;
  onAdd(rule: NewRule): void;
}

export function NewRuleModal({ open, taken, onClose, onAdd }: NewRuleModalProps) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();

  useLayoutEffect(() => {
    if (open) form.resetFields();
  }, [open, form]);

  const submit = async () => {
    let v: Values;
    try {
      v = await form.validateFields();
    } catch {
      return; // the form shows what is missing
    }
    onAdd({
      id: v.id.trim(),
      name: v.name.trim(),
      category: v.category,
      severity: v.severity,
      verify: v.verify,
      when: v.when.trim(),
      message: v.message.trim(),
      evidence: parseEvidence(v.evidence ?? "") ?? {},
    });
  };

  return (
    <Modal
      open={open}
      title={t.policy.addRuleTitle}
      okText={t.common.confirm}
      cancelText={t.common.cancel}
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      width={640}
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={{ id: "local.", category: "income", severity: "medium", verify: true }}
      >
        <Form.Item
          name="id"
          label={t.monitoring.ruleId}
          extra={t.policy.ruleIdHint}
          rules={[
            { required: true, message: t.form.required(t.monitoring.ruleId) },
            { pattern: /^[a-z][a-z0-9_.]*[a-z0-9_]$/, message: t.policy.ruleIdInvalid },
            {
              validator: (_, v: string | undefined) =>
                v && taken.has(v.trim())
                  ? Promise.reject(new Error(t.policy.ruleIdTaken))
                  : Promise.resolve(),
            },
          ]}
        >
          <Input className="mono" data-testid="new-rule-id" />
        </Form.Item>
        <Form.Item
          name="name"
          label={t.policy.ruleName}
          rules={[{ required: true, message: t.form.required(t.policy.ruleName) }]}
        >
          <Input maxLength={100} data-testid="new-rule-name" />
        </Form.Item>
        <div className="form-row">
          <Form.Item name="category" label={t.monitoring.category} rules={[{ required: true }]}>
            <Select
              style={{ width: 160 }}
              options={CATEGORY_ORDER.map((c) => ({ value: c, label: t.monitoring.categories[c] }))}
            />
          </Form.Item>
          <Form.Item name="severity" label={t.monitoring.severity} rules={[{ required: true }]}>
            <Select
              style={{ width: 100 }}
              options={["high", "medium", "low"].map((s) => ({
                value: s,
                label: t.monitoring.severities[s],
              }))}
            />
          </Form.Item>
          <Form.Item name="verify" label={t.policy.verify} valuePropName="checked">
            <Switch />
          </Form.Item>
        </div>
        <Form.Item
          name="when"
          label={t.policy.condition}
          rules={[{ required: true, message: t.form.required(t.policy.condition) }]}
        >
          <Input.TextArea
            className="mono cel-input"
            autoSize={{ minRows: 2, maxRows: 8 }}
            spellCheck={false}
            placeholder="h.size >= 6 && h.perCapitaIncome < policy.monitoringLine * 1.5"
            data-testid="new-rule-when"
          />
        </Form.Item>
        <Form.Item
          name="message"
          label={t.policy.message}
          extra={t.policy.ruleMessageHint}
          dependencies={["evidence"]}
          rules={[
            { required: true, message: t.form.required(t.policy.message) },
            ({ getFieldValue }) => ({
              // Every {name} in the message needs an evidence value of that name.
              validator: (_, v: string | undefined) => {
                const evidence = parseEvidence(getFieldValue("evidence") ?? "") ?? {};
                const missing = [...(v ?? "").matchAll(/\{(\w+)\}/g)]
                  .map((m) => m[1]!)
                  .filter((name) => !(name in evidence));
                return missing.length > 0
                  ? Promise.reject(new Error(t.policy.ruleMessageMissing(missing.join("、"))))
                  : Promise.resolve();
              },
            }),
          ]}
        >
          <Input maxLength={500} data-testid="new-rule-message" />
        </Form.Item>
        <Form.Item
          name="evidence"
          label={t.policy.ruleEvidence}
          rules={[
            {
              validator: (_, v: string | undefined) =>
                parseEvidence(v ?? "") === null
                  ? Promise.reject(new Error(t.policy.ruleEvidenceInvalid))
                  : Promise.resolve(),
            },
          ]}
        >
          <Input.TextArea
            className="mono"
            autoSize={{ minRows: 2, maxRows: 6 }}
            spellCheck={false}
            placeholder={t.policy.ruleEvidenceHint}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
