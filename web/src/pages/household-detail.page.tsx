/**
 * 农户详情 — one household: its fields, members and history; sensitive data on request (audited);
 * the state on a past date; edits in drawers when the user may change it.
 */
import {
  ArrowLeftOutlined,
  EditOutlined,
  EyeInvisibleOutlined,
  EyeOutlined,
  HeartOutlined,
  HistoryOutlined,
  UserAddOutlined,
} from "@ant-design/icons";
import {
  Alert,
  Breadcrumb,
  Button,
  Card,
  Col,
  DatePicker,
  Result,
  Row,
  Skeleton,
  Space,
  Tooltip,
  Typography,
} from "antd";
import dayjs from "dayjs";
import { useCallback, useEffect, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import type { HistoryEntry, HouseholdDetail, MemberView } from "../api/types.ts";
import { HouseholdCases } from "../cases/household-cases.tsx";
import { CategoryTag, HouseholdTypeTag } from "../components/tags.tsx";
import { errorText } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { HouseholdRisk } from "../monitoring/household-risk.tsx";
import { ChangeHead } from "../registry/change-head.tsx";
import { HistoryTimeline } from "../registry/history-timeline.tsx";
import { householdApi } from "../registry/household-api.ts";
import { HouseholdDescriptions } from "../registry/household-descriptions.tsx";
import { HouseholdForm } from "../registry/household-form.tsx";
import { MemberForm } from "../registry/member-form.tsx";
import { MembersTable } from "../registry/members-table.tsx";
import { RemoveMember } from "../registry/remove-member.tsx";
import { useUser } from "../session/session.tsx";
import { useAssistanceText } from "./assistance/assistance.i18n.ts";
import { HouseholdFacts } from "./feeds/household-facts.tsx";

export function HouseholdDetailPage() {
  const { t } = useI18n();
  const assistanceText = useAssistanceText();
  const user = useUser();
  const navigate = useNavigate();
  const { householdNumber = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const unmask = params.get("unmask") === "1";
  const asOf = params.get("asOf");

  const [detail, setDetail] = useState<HouseholdDetail | null>(null);
  const [history, setHistory] = useState<HistoryEntry[] | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const [editingHousehold, setEditingHousehold] = useState(false);
  const [editingMember, setEditingMember] = useState<MemberView | null | undefined>(undefined);
  const [removingMember, setRemovingMember] = useState<MemberView | undefined>(undefined);
  const [newHead, setNewHead] = useState<MemberView | undefined>(undefined);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new tick asks for a reload
  useEffect(() => {
    const ctrl = new AbortController();
    setFailure(null);
    householdApi
      .detail(householdNumber, { unmask, asOf }, ctrl.signal)
      .then(setDetail)
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setFailure(e);
      });
    return () => ctrl.abort();
  }, [householdNumber, unmask, asOf, tick]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new tick asks for a reload
  useEffect(() => {
    const ctrl = new AbortController();
    householdApi
      .history(householdNumber, { unmask }, ctrl.signal)
      .then((r) => setHistory(r.items))
      .catch(() => !ctrl.signal.aborted && setHistory([]));
    return () => ctrl.abort();
  }, [householdNumber, unmask, tick]);

  const reload = useCallback(() => {
    setEditingHousehold(false);
    setEditingMember(undefined);
    setRemovingMember(undefined);
    setNewHead(undefined);
    setTick((n) => n + 1);
  }, []);

  /** After a write: show the new state at once (unless it lost the unmasking) and the new history. */
  const saved = useCallback(
    (next: HouseholdDetail) => {
      setEditingHousehold(false);
      setEditingMember(undefined);
      setRemovingMember(undefined);
      setNewHead(undefined);
      if (next.masked === !unmask) setDetail(next);
      setTick((n) => n + 1);
    },
    [unmask],
  );

  const setParam = (key: string, value: string | null) => {
    const p = new URLSearchParams(params);
    if (value) p.set(key, value);
    else p.delete(key);
    setParams(p);
  };

  if (failure) {
    // On a past date the household may not have existed yet; today it does.
    return (
      <div className="page">
        <Card>
          <Result
            status={asOf ? "info" : "404"}
            title={asOf ? t.detail.asOfBanner(asOf) : t.detail.notFound}
            subTitle={errorText(failure, t)}
            extra={
              asOf ? (
                <Button
                  type="primary"
                  onClick={() => setParam("asOf", null)}
                  data-testid="back-to-current"
                >
                  {t.detail.backToCurrent}
                </Button>
              ) : (
                <Button onClick={() => navigate("/households")}>{t.common.back}</Button>
              )
            }
          />
        </Card>
      </div>
    );
  }
  if (!detail) {
    return (
      <div className="page">
        <Card>
          <Skeleton active paragraph={{ rows: 10 }} />
        </Card>
      </div>
    );
  }

  const h = detail.household;
  const canEdit = detail.can.includes("household.update") && !detail.asOf;
  const canUnmask = detail.can.includes("household.unmask") || !detail.masked;
  const place = [h.townName, h.villageName, h.groupName].filter(Boolean).join(" / ");

  return (
    <div className="page">
      <Breadcrumb
        className="page__crumbs"
        items={[
          { title: <Link to={`/households?region=${h.villageCode}`}>{t.list.title}</Link> },
          { title: h.townName ?? h.townCode },
          {
            title: (
              <Link to={`/households?region=${h.villageCode}`}>
                {h.villageName ?? h.villageCode}
              </Link>
            ),
          },
          { title: h.householdNumber },
        ]}
      />
      <Card className="household-head" data-testid="household-head">
        <div className="household-head__row">
          <div>
            <Space align="center" wrap>
              <Button
                type="text"
                icon={<ArrowLeftOutlined />}
                onClick={() => navigate(-1)}
                aria-label={t.common.back}
              />
              <Typography.Title level={4} className="household-head__title">
                {t.list.columns.householdNumber} {h.householdNumber}
              </Typography.Title>
              <HouseholdTypeTag code={h.householdType} />
              <CategoryTag code={h.monitoringCategory} showNone />
              <Link to={`/assist/households/${h.householdNumber}`} data-testid="assistance-link">
                <HeartOutlined /> {assistanceText.assistanceLink}
              </Link>
              {h.monitoringCategory && h.riskEliminated !== null && (
                <Typography.Text type={h.riskEliminated ? "success" : "danger"}>
                  {h.riskEliminated ? t.detail.riskEliminated : t.detail.riskNotEliminated}
                </Typography.Text>
              )}
            </Space>
            <div className="household-head__facts">
              <span>
                {t.detail.head}
                {t.common.colon}
                <strong>{h.headName ?? t.common.empty}</strong>
              </span>
              <span>
                {t.detail.size}
                {t.common.colon}
                <strong>{t.common.people(h.size)}</strong>
              </span>
              <span>
                {t.detail.village}
                {t.common.colon}
                <strong>{place || t.common.empty}</strong>
              </span>
              <span>
                {t.detail.version}
                {t.common.colon}
                {h.version}
              </span>
            </div>
          </div>
          <Space wrap className="household-head__actions">
            <DatePicker
              placeholder={t.detail.asOfPlaceholder}
              value={asOf ? dayjs(asOf) : null}
              disabledDate={(d) => d.isAfter(dayjs(), "day")}
              onChange={(d) => setParam("asOf", d ? d.format("YYYY-MM-DD") : null)}
              prefix={<HistoryOutlined />}
              style={{ width: 200 }}
              data-testid="as-of"
            />
            {canUnmask && (
              <Tooltip title={t.detail.sensitiveHint}>
                <Button
                  icon={unmask ? <EyeInvisibleOutlined /> : <EyeOutlined />}
                  onClick={() => setParam("unmask", unmask ? null : "1")}
                  data-testid="toggle-sensitive"
                >
                  {unmask ? t.detail.hideSensitive : t.detail.showSensitive}
                </Button>
              </Tooltip>
            )}
            {canEdit && (
              <>
                <Button icon={<UserAddOutlined />} onClick={() => setEditingMember(null)}>
                  {t.detail.addMember}
                </Button>
                <Button
                  type="primary"
                  icon={<EditOutlined />}
                  onClick={() => setEditingHousehold(true)}
                >
                  {t.detail.editHousehold}
                </Button>
              </>
            )}
          </Space>
        </div>
      </Card>

      {detail.asOf && (
        <Alert
          className="as-of-banner"
          type="warning"
          showIcon
          icon={<HistoryOutlined />}
          title={t.detail.asOfBanner(detail.asOf)}
          description={t.detail.asOfBannerHint}
          action={
            <Button size="small" onClick={() => setParam("asOf", null)}>
              {t.detail.backToCurrent}
            </Button>
          }
          data-testid="as-of-banner"
        />
      )}

      {user.can.includes("signal.read") && (
        <HouseholdRisk
          householdNumber={h.householdNumber}
          villageCode={h.villageCode}
          version={h.version}
        />
      )}

      {user.can.includes("case.read") && (
        <HouseholdCases
          householdNumber={h.householdNumber}
          headName={h.headName}
          version={h.version}
          canOpen={!detail.asOf}
        />
      )}

      <Card title={t.detail.members} className="page__card members" data-testid="members">
        <MembersTable
          members={detail.members}
          canEdit={canEdit}
          onEdit={(m) => setEditingMember(m)}
          onRemove={(m) => setRemovingMember(m)}
          onMakeHead={(m) => setNewHead(m)}
        />
      </Card>
      <HouseholdFacts householdNumber={h.householdNumber} />
      <Row gutter={16}>
        <Col xs={24} xl={15} xxl={16}>
          <Card className="page__card">
            <HouseholdDescriptions detail={detail} />
          </Card>
        </Col>
        <Col xs={24} xl={9} xxl={8}>
          <Card title={t.detail.history} className="page__card history-card" data-testid="history">
            {history === null ? <Skeleton active /> : <HistoryTimeline items={history} />}
          </Card>
        </Col>
      </Row>

      {canEdit && (
        <>
          <HouseholdForm
            open={editingHousehold}
            detail={detail}
            onClose={() => setEditingHousehold(false)}
            onSaved={saved}
            onReload={reload}
          />
          <MemberForm
            member={editingMember}
            detail={detail}
            onClose={() => setEditingMember(undefined)}
            onSaved={saved}
            onReload={reload}
          />
          <ChangeHead
            member={newHead}
            detail={detail}
            onClose={() => setNewHead(undefined)}
            onSaved={saved}
            onReload={reload}
          />
          <RemoveMember
            member={removingMember}
            detail={detail}
            onClose={() => setRemovingMember(undefined)}
            onSaved={saved}
            onReload={reload}
          />
        </>
      )}
    </div>
  );
}
