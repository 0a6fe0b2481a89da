/** 新增成员 / 编辑成员 — a member's fields in a drawer. */
import { App, Button, Col, Drawer, Form, Row, Space } from "antd";
import dayjs from "dayjs";
import { useLayoutEffect, useState } from "react";
import { checkIdNumber } from "../../../src/core/id-number.ts";
import { MEMBER_FIELDS } from "../../../src/core/registry-fields.ts";
import type { HouseholdDetail, MemberView } from "../api/types.ts";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { FieldInput } from "./field-input.tsx";
import { changedValues, type FormValue, formValuesOf } from "./form-values.ts";
import { householdApi, reasonOf } from "./household-api.ts";
import { ReasonInput } from "./reason-input.tsx";

/** Long text fields take a whole row. */
const WIDE = new Set(["outOfSchool", "notEnrolledReason", "dropoutReason", "workLocation"]);

interface MemberFormProps {
  /** The member to edit; null to add one; undefined when closed. */
  member: MemberView | null | undefined;
  detail: HouseholdDetail;
  onClose(): void;
  onSaved(detail: HouseholdDetail): void;
  onReload(): void;
}

export function MemberForm({ member, detail, onClose, onSaved, onReload }: MemberFormProps) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showError = useApiError();
  const [form] = Form.useForm<Record<string, FormValue>>();
  const [saving, setSaving] = useState(false);
  const [reason, setReason] = useState("");
  const open = member !== undefined;
  const adding = member === null;
  const locked = new Set(
    !adding && detail.masked ? MEMBER_FIELDS.filter((d) => d.sensitive).map((d) => d.key) : [],
  );

  useLayoutEffect(() => {
    if (member === undefined) return;
    form.resetFields();
    form.setFieldsValue(
      member === null
        ? { idType: "resident_id" }
        : formValuesOf(MEMBER_FIELDS, member as unknown as Record<string, unknown>),
    );
    setReason("");
  }, [member, form]);

  /** A valid ID number tells the birth date and sex; fill them in when still empty. */
  const onValuesChange = (changed: Record<string, FormValue>) => {
    if (typeof changed.idNumber !== "string") return;
    const check = checkIdNumber(changed.idNumber);
    if (!check.valid) return;
    const patch: Record<string, FormValue> = {};
    if (!form.getFieldValue("birthDate")) patch.birthDate = dayjs(check.birthDate);
    if (!form.getFieldValue("sex")) patch.sex = check.sex;
    form.setFieldsValue(patch);
  };

  const save = async () => {
    let values: Record<string, FormValue>;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    const no = detail.household.householdNumber;
    const version = detail.household.version;
    setSaving(true);
    try {
      let next: HouseholdDetail;
      if (member === null || member === undefined) {
        next = await householdApi.addMember(no, {
          version,
          member: changedValues(MEMBER_FIELDS, values, null),
          reason: reasonOf(reason),
        });
      } else {
        const changes = changedValues(
          MEMBER_FIELDS,
          values,
          member as unknown as Record<string, unknown>,
          locked,
        );
        if (Object.keys(changes).length === 0) {
          message.info(t.common.noChanges);
          return;
        }
        next = await householdApi.updateMember(no, member.id, {
          version,
          changes,
          reason: reasonOf(reason),
        });
      }
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
      title={adding ? t.members.addTitle : t.members.editTitle(member?.name ?? "")}
      open={open}
      onClose={onClose}
      size={720}
      destroyOnHidden
      footer={
        <div className="drawer-footer">
          <ReasonInput value={reason} onChange={setReason} />
          <Space>
            <Button onClick={onClose}>{t.common.cancel}</Button>
            <Button type="primary" loading={saving} onClick={save} data-testid="save-member">
              {t.common.save}
            </Button>
          </Space>
        </div>
      }
    >
      <Form
        form={form}
        layout="vertical"
        scrollToFirstError
        onValuesChange={onValuesChange}
        data-testid="member-form"
      >
        <Row gutter={16}>
          {MEMBER_FIELDS.map((def) => (
            <Col key={def.key} span={WIDE.has(def.key) ? 24 : 12}>
              <FieldInput def={def} locked={locked.has(def.key)} />
            </Col>
          ))}
        </Row>
      </Form>
    </Drawer>
  );
}
