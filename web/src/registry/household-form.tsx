/** 编辑户信息 — the household's fields in a drawer, grouped as on the page; sends only what changed. */
import { App, Button, Col, Divider, Drawer, Form, Row, Space } from "antd";
import { useLayoutEffect, useMemo, useState } from "react";
import type { FieldDef } from "../../../src/core/registry-fields.ts";
import type { HouseholdDetail } from "../api/types.ts";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { FieldInput } from "./field-input.tsx";
import { HOUSEHOLD_GROUPS, householdDef, IDENTITY_FIELDS } from "./fields.ts";
import { changedValues, type FormValue, formValuesOf } from "./form-values.ts";
import { householdApi, reasonOf } from "./household-api.ts";
import { ReasonInput } from "./reason-input.tsx";

interface HouseholdFormProps {
  open: boolean;
  detail: HouseholdDetail;
  onClose(): void;
  onSaved(detail: HouseholdDetail): void;
  onReload(): void;
}

export function HouseholdForm({ open, detail, onClose, onSaved, onReload }: HouseholdFormProps) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showError = useApiError();
  const [form] = Form.useForm<Record<string, FormValue>>();
  const [saving, setSaving] = useState(false);
  const [reason, setReason] = useState("");

  const groups = useMemo(
    () =>
      HOUSEHOLD_GROUPS.map(({ group, keys }) => ({
        group,
        defs: keys.filter((k) => !IDENTITY_FIELDS.has(k)).map(householdDef),
      })).filter((g) => g.defs.length > 0),
    [],
  );
  const defs: FieldDef[] = useMemo(() => groups.flatMap((g) => g.defs), [groups]);
  const locked = useMemo(
    () => new Set(detail.masked ? defs.filter((d) => d.sensitive).map((d) => d.key) : []),
    [defs, detail.masked],
  );
  const record = detail.household as unknown as Record<string, unknown>;

  // Before the dialog is painted, so that a late reset cannot wipe the first edits.
  useLayoutEffect(() => {
    if (!open) return;
    form.setFieldsValue(formValuesOf(defs, record));
    setReason("");
  }, [open, form, defs, record]);

  const save = async () => {
    let values: Record<string, FormValue>;
    try {
      values = await form.validateFields();
    } catch {
      return; // the form shows what is wrong
    }
    const changes = changedValues(defs, values, record, locked);
    if (Object.keys(changes).length === 0) {
      message.info(t.common.noChanges);
      return;
    }
    setSaving(true);
    try {
      const next = await householdApi.update(detail.household.householdNumber, {
        version: detail.household.version,
        changes,
        reason: reasonOf(reason),
      });
      message.success(t.common.saved);
      onSaved(next);
    } catch (e) {
      showError(e, { form, onReload });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Drawer
      title={`${t.detail.editHousehold} · ${detail.household.householdNumber}`}
      open={open}
      onClose={onClose}
      size={760}
      destroyOnHidden
      footer={
        <div className="drawer-footer">
          <ReasonInput value={reason} onChange={setReason} />
          <Space>
            <Button onClick={onClose}>{t.common.cancel}</Button>
            <Button type="primary" loading={saving} onClick={save} data-testid="save-household">
              {t.common.save}
            </Button>
          </Space>
        </div>
      }
    >
      <Form form={form} layout="vertical" scrollToFirstError>
        {groups.map(({ group, defs: gd }) => (
          <div key={group}>
            <Divider titlePlacement="start" className="form-group-title">
              {t.detail.groups[group]}
            </Divider>
            <Row gutter={16}>
              {gd.map((def) => (
                <Col
                  key={def.key}
                  span={def.kind === "enum_list" || def.key === "remarks" ? 24 : 12}
                >
                  <FieldInput def={def} locked={locked.has(def.key)} />
                </Col>
              ))}
            </Row>
          </div>
        ))}
      </Form>
    </Drawer>
  );
}
